import type { Command } from 'commander';
import { loadOptions } from '../container/index.js';
import { formatFindings, hasErrors } from '../../core/dataset/index.js';
import { checkFile } from '../services/dataset.js';
import { EXIT } from '../errors.js';
import { action, configFor, out, type CliIO } from './context.js';

export function registerData(program: Command, io: CliIO): void {
  const data = program.command('data').description('inspect and validate labelled data');
  data
    .command('check')
    .description('validate a labelled file: every finding with file:line and how to fix it; exit 2 on errors')
    .argument('<file>', 'CSV, TSV, JSONL or JSON file')
    .option('--text-col <name>', 'text column / field')
    .option('--label-col <name>', 'label column / field')
    .option('--delimiter <c>', 'CSV delimiter (default: sniffed)')
    .option('--min-examples <n>', 'warn for labels with fewer examples', (v) => Number(v))
    .option('--max-length <n>', 'longest accepted text', (v) => Number(v))
    .option('--strict', 'treat warnings as errors')
    .option('--json', 'print findings and report as JSON')
    .action(
      action(io, async (file: string, o: Record<string, string | number | boolean | undefined>, cmd: Command) => {
        const c = configFor(cmd, io, {
          data: { textCol: o.textCol, labelCol: o.labelCol, delimiter: o.delimiter, strict: o.strict, minExamplesPerLabel: o.minExamples, maxTextLength: o.maxLength },
        });
        const res = await checkFile(file, loadOptions(c));
        const failed = hasErrors(res.findings);
        if (o.json) {
          out(io, JSON.stringify({ ok: !failed, format: res.format, report: res.report, findings: res.findings }, null, 2));
        } else {
          const r = res.report;
          for (const line of formatFindings(res.findings, { max: 200 })) out(io, line);
          out(io, `${file} (${res.format}): ${r.rows} rows, ${r.kept} kept, ${r.labels.length} labels; ${r.duplicatesDropped} duplicates and ${r.nearDuplicatesDropped} near-duplicates dropped, ${r.conflicts} conflicts; ${r.errors} errors, ${r.warnings} warnings`);
          for (const l of r.labels) out(io, `  ${l.label.padEnd(32)} ${String(l.count).padStart(6)}`);
          out(io, failed ? 'FAILED: fix the errors above' : 'OK');
        }
        return failed ? EXIT.invalid_input : 0;
      }),
    );
}
