/**
 * What the deployment files may name: environment variables the app reads, and `intentops`
 * command lines it accepts. A typo in a manifest (INTENTOPS_REVEIW_URI, `serve --modle`) is
 * otherwise silently ignored or found only when a pod crash-loops.
 */
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { ENV_CATALOGUE } from '../../src/app/config.js';
import { buildCli } from '../../src/app/cli/main.js';

/** Variables read outside the config catalogue: Node, the OpenTelemetry SDK's standard ones, the config file. */
const STANDARD = new Set(['NODE_ENV', 'NODE_OPTIONS', 'INTENTOPS_CONFIG', 'INTENTOPS_USER', 'APPLICATIONINSIGHTS_CONNECTION_STRING']);
const STANDARD_PREFIX = /^OTEL_[A-Z0-9_]+$/;

export function isKnownEnv(name: string): boolean {
  return Object.hasOwn(ENV_CATALOGUE, name) || STANDARD.has(name) || STANDARD_PREFIX.test(name);
}

/** The names in `names` the app would not read. */
export function unknownEnv(names: Iterable<string>): string[] {
  return [...names].filter((n) => !isKnownEnv(n));
}

function cli(): Command {
  const sink = new PassThrough();
  return buildCli({ stdout: sink, stderr: sink, stdin: new PassThrough(), env: {} } as never);
}

/**
 * Problems with an `intentops` argument list (without the program name): an unknown command
 * or subcommand, or an option the command does not define. [] when it would parse.
 */
export function cliProblems(argv: readonly string[]): string[] {
  let cmd = cli();
  const global = new Set(cmd.options.map((o) => o.long));
  let i = 0;
  for (; i < argv.length && !argv[i].startsWith('-'); i++) {
    const sub = cmd.commands.find((c) => c.name() === argv[i] || c.aliases().includes(argv[i]));
    if (!sub) {
      if (cmd.commands.length === 0) break; // a positional argument
      return [`\`intentops ${argv.slice(0, i + 1).join(' ')}\`: no such command (have: ${cmd.commands.map((c) => c.name()).join(', ')})`];
    }
    cmd = sub;
  }
  if (cmd.commands.length > 0) return [`\`intentops ${argv.slice(0, i).join(' ')}\` needs a subcommand`];
  const known = new Set([...global, ...cmd.options.map((o) => o.long), '--help']);
  const problems: string[] = [];
  for (const a of argv.slice(i)) {
    if (!a.startsWith('--')) continue;
    const flag = a.split('=')[0];
    if (!known.has(flag)) problems.push(`\`intentops ${cmd.name()}\` has no option ${flag}`);
  }
  for (const o of cmd.options.filter((x) => x.mandatory)) {
    if (!argv.some((a) => a === o.long || a.startsWith(`${o.long}=`))) problems.push(`\`intentops ${cmd.name()}\` needs ${o.long}`);
  }
  return problems;
}

/** Splits a shell command line into words (quotes and `\` continuations; no expansion). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of line.replace(/\\\n/g, ' ').matchAll(re)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** Every `intentops …` / `node bin/intentops.js …` invocation in a script, as argument lists. */
export function intentopsCalls(script: string): string[][] {
  const calls: string[][] = [];
  for (const line of script.replace(/\\\n/g, ' ').split('\n')) {
    const words = shellWords(line);
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      const isCli = w === 'intentops' || /(^|\/)bin\/intentops\.js$/.test(w);
      if (!isCli || (w === 'intentops' && i > 0 && !/^(&&|\|\||;|then|do|exec|npx)$/.test(words[i - 1]))) continue;
      const rest = words.slice(i + 1);
      const end = rest.findIndex((x) => /^(&&|\|\||;|\||>|2>|>>)$/.test(x) || x.startsWith('>'));
      calls.push(end < 0 ? rest : rest.slice(0, end));
    }
  }
  return calls;
}
