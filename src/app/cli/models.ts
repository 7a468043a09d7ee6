import type { Command } from 'commander';
import { openRegistry } from '../container/index.js';
import { deleteAlias, findVersion, history, listModels, registerBundle, setAlias, showModel } from '../services/registry.js';
import { whoAmI } from '../config.js';
import { action, configFor, intOption, out, type CliIO } from './context.js';

/** `intentops models …`: the registry (immutable numbered versions, aliases, audit log). */
export function registerModels(program: Command, io: CliIO): void {
  const models = program.command('models').description('model registry: versions, aliases (champion, challenger, …) and their history');
  const withRegistry = async <T>(cmd: Command, fn: (reg: Awaited<ReturnType<typeof openRegistry>>) => Promise<T>): Promise<T> => {
    const reg = await openRegistry(configFor(cmd, io));
    try {
      return await fn(reg);
    } finally {
      await reg.store.close();
    }
  };

  models
    .command('list')
    .description('registered models with their latest version and aliases')
    .option('--json', 'print JSON')
    .action(
      action(io, async (o: { json?: boolean }, cmd: Command) => {
        const list = await withRegistry(cmd, listModels);
        if (o.json) return out(io, JSON.stringify(list, null, 2));
        if (!list.length) return out(io, 'no registered models (register one with `intentops models register DIR --name NAME`)');
        for (const m of list) {
          const aliases = Object.entries(m.aliases).map(([a, v]) => `@${a}=v${v}`).join(' ');
          out(io, `${m.name.padEnd(24)} latest v${m.latestVersion}  ${aliases}`);
        }
      }),
    );

  models
    .command('show')
    .description('NAME: versions and aliases; NAME@ALIAS or NAME/V: one version')
    .argument('<ref>', 'NAME, NAME@ALIAS, NAME/V or models:/…')
    .option('--json', 'print JSON')
    .action(
      action(io, async (ref: string, o: { json?: boolean }, cmd: Command) => {
        const detail = await withRegistry<unknown>(cmd, (reg) => (/[@/]/.test(ref.replace(/^models:\//, '')) ? findVersion(reg, ref) : showModel(reg, ref)));
        out(io, JSON.stringify(detail, null, 2));
      }),
    );

  models
    .command('register')
    .description('store a bundle as the next immutable version of NAME')
    .argument('<dir>', 'model bundle directory')
    .requiredOption('--name <name>', 'registered model name')
    .option('--run <id>', 'tracking run that produced it')
    .option('--description <text>', 'free text')
    .option('--alias <alias>', 'also point this alias at the new version')
    .option('--why <reason>', 'recorded in the audit log with --alias')
    .action(
      action(io, async (dir: string, o: Record<string, string | undefined>, cmd: Command) => {
        await withRegistry(cmd, async (reg) => {
          const v = await registerBundle(reg, dir, o.name!, { runId: o.run, description: o.description, who: whoAmI() });
          out(io, `registered ${v.name} version ${v.version} (artifact ${v.artifact.slice(0, 12)})`);
          if (o.alias) {
            await setAlias(reg, v.name, o.alias, v.version, { who: whoAmI(), why: o.why ?? 'registered' });
            out(io, `${v.name}@${o.alias} → version ${v.version}`);
          }
        });
      }),
    );

  const alias = models.command('alias').description('move or delete an alias (every move is audited)');
  alias
    .command('set')
    .argument('<name>')
    .argument('<alias>')
    .argument('<version>', 'version number', intOption('version'))
    .option('--why <reason>', 'recorded in the audit log')
    .action(
      action(io, async (name: string, a: string, version: number, o: { why?: string }, cmd: Command) => {
        const move = await withRegistry(cmd, (reg) => setAlias(reg, name, a, version, { who: whoAmI(), why: o.why }));
        out(io, `${name}@${a}: ${move.from === null ? 'new' : `v${move.from}`} → v${move.to}`);
      }),
    );
  alias
    .command('delete')
    .argument('<name>')
    .argument('<alias>')
    .option('--why <reason>', 'recorded in the audit log')
    .action(
      action(io, async (name: string, a: string, o: { why?: string }, cmd: Command) => {
        const move = await withRegistry(cmd, (reg) => deleteAlias(reg, name, a, { who: whoAmI(), why: o.why }));
        out(io, `${name}@${a} deleted (was v${move.from})`);
      }),
    );

  models
    .command('history')
    .description('the audit log of alias moves: who, when, from, to, why')
    .argument('<name>')
    .option('--alias <alias>', 'only this alias')
    .option('--json', 'print JSON')
    .action(
      action(io, async (name: string, o: { alias?: string; json?: boolean }, cmd: Command) => {
        const moves = await withRegistry(cmd, (reg) => history(reg, name, { alias: o.alias }));
        if (o.json) return out(io, JSON.stringify(moves, null, 2));
        for (const m of moves) out(io, `${m.at}  ${m.name}@${m.alias}  ${m.from ?? '–'} → ${m.to ?? 'deleted'}  by ${m.who}${m.why ? `: ${m.why}` : ''}`);
      }),
    );
}
