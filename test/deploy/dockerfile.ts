/**
 * A small Dockerfile reader for the deployment tests: instructions with their line, stages, and
 * the image configuration a stage ends with (ENV, WORKDIR, USER, ENTRYPOINT, CMD, HEALTHCHECK and
 * the COPY steps that fill it), following `FROM <earlier stage>` the way the builder does.
 * It reads what this repository's Dockerfile uses; anything else fails loudly.
 */
import { readFileSync } from 'node:fs';

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  /** 1-based line of the instruction's first line. */
  readonly line: number;
}

export interface Stage {
  readonly name?: string;
  readonly base: string;
  readonly line: number;
  readonly instructions: readonly Instruction[];
}

export interface CopyStep {
  readonly from?: string;
  readonly sources: readonly string[];
  /** As written: absolute, or relative to `workdir`. */
  readonly dest: string;
  /** The WORKDIR in force at this step. */
  readonly workdir: string;
  readonly line: number;
}

export interface ImageConfig {
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string;
  readonly user?: string;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly healthcheck?: { readonly flags: Readonly<Record<string, string>>; readonly cmd: readonly string[] };
  readonly exposed: readonly string[];
  /** COPY steps of this stage and the stages it is built on, oldest first. */
  readonly copies: readonly CopyStep[];
}

export interface Dockerfile {
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

/** Splits into instructions: comments and blank lines dropped, `\` continuations joined. */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = line.slice(0, -1);
      const next = lines[++i].trim();
      if (!next.startsWith('#')) line += ` ${next}`;
    }
    const m = /^(\S+)\s*(.*)$/s.exec(line.trim())!;
    out.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: first + 1 });
  }
  return out;
}

/** `${NAME}` / `$NAME` from `vars`; an unknown name is an error (the build would see ''). */
export function substitute(s: string, vars: Readonly<Record<string, string>>, line: number): string {
  return s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    if (!(name in vars)) throw new Error(`Dockerfile:${line}: $${name} is not an ARG or ENV in scope`);
    return vars[name];
  });
}

function parseKeyValues(args: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  if (!args.includes('=')) {
    const [k, ...v] = args.split(/\s+/);
    out[k] = v.join(' ');
    return out;
  }
  for (const m of args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) out[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  if (!Object.keys(out).length) throw new Error(`Dockerfile:${line}: cannot read ${args}`);
  return out;
}

/** An exec-form (JSON array) argument list; the shell form is refused (signals would not reach node). */
export function execForm(args: string, line: number): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`Dockerfile:${line}: expected a JSON array of strings: ${args}`);
  return parsed as string[];
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: { name?: string; base: string; line: number; instructions: Instruction[] }[] = [];
  for (const ins of instructions(text)) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile:${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ base: substitute(m[1], globalArgs, ins.line), name: m[2]?.toLowerCase(), line: ins.line, instructions: [] });
    } else if (!stages.length) {
      if (ins.keyword !== 'ARG') throw new Error(`Dockerfile:${ins.line}: only ARG may precede the first FROM`);
      Object.assign(globalArgs, parseKeyValues(ins.args, ins.line));
    } else {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

export function readDockerfile(path: string): Dockerfile {
  return parseDockerfile(readFileSync(path, 'utf8'));
}

/** The image configuration `stage` (default: the last, which `docker build` produces) ends with. */
export function imageConfig(df: Dockerfile, stage?: string, buildArgs: Readonly<Record<string, string>> = {}): ImageConfig {
  const index = stage === undefined ? df.stages.length - 1 : df.stages.findIndex((s) => s.name === stage);
  if (index < 0) throw new Error(`Dockerfile has no stage ${stage}`);
  const s = df.stages[index];
  const earlier = df.stages.slice(0, index).findIndex((p) => p.name === s.base.toLowerCase());
  const parent: ImageConfig = earlier >= 0 ? imageConfig(df, df.stages[earlier].name, buildArgs) : { env: {}, workdir: '/', entrypoint: [], cmd: [], exposed: [], copies: [] };
  const env: Record<string, string> = { ...parent.env };
  const args: Record<string, string> = {};
  let { workdir, user, entrypoint, cmd, healthcheck } = parent;
  const exposed = [...parent.exposed];
  const copies = [...parent.copies];
  let cmdSet = false;
  for (const ins of s.instructions) {
    const vars = { ...args, ...env };
    switch (ins.keyword) {
      case 'ARG': {
        for (const [k, v] of Object.entries(parseKeyValues(ins.args, ins.line))) args[k] = buildArgs[k] ?? (v || df.globalArgs[k] || '');
        break;
      }
      case 'ENV':
        for (const [k, v] of Object.entries(parseKeyValues(ins.args, ins.line))) env[k] = substitute(v, vars, ins.line);
        break;
      case 'WORKDIR':
        workdir = substitute(ins.args, vars, ins.line);
        break;
      case 'USER':
        user = substitute(ins.args, vars, ins.line);
        break;
      case 'EXPOSE':
        exposed.push(...ins.args.split(/\s+/));
        break;
      case 'ENTRYPOINT':
        entrypoint = execForm(ins.args, ins.line);
        if (!cmdSet) cmd = []; // the builder resets an inherited CMD when ENTRYPOINT changes
        break;
      case 'CMD':
        cmd = execForm(ins.args, ins.line);
        cmdSet = true;
        break;
      case 'HEALTHCHECK': {
        const flags: Record<string, string> = {};
        let rest = ins.args;
        for (let m = /^--([\w-]+)=(\S+)\s+/.exec(rest); m; m = /^--([\w-]+)=(\S+)\s+/.exec(rest)) {
          flags[m[1]] = m[2];
          rest = rest.slice(m[0].length);
        }
        if (!rest.startsWith('CMD ')) throw new Error(`Dockerfile:${ins.line}: HEALTHCHECK must use CMD [...]`);
        healthcheck = { flags, cmd: execForm(rest.slice(4), ins.line) };
        break;
      }
      case 'COPY': {
        const words = substitute(ins.args, vars, ins.line).split(/\s+/);
        const flags = words.filter((w) => w.startsWith('--'));
        const paths = words.filter((w) => !w.startsWith('--'));
        const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
        copies.push({ from, sources: paths.slice(0, -1), dest: paths[paths.length - 1], workdir, line: ins.line });
        break;
      }
      default:
        break;
    }
  }
  return { env, workdir, user, entrypoint, cmd, healthcheck, exposed, copies };
}
