import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { checkModelName } from '../../ports/model-uri.js';
import type { LlmVariant } from '../../ports/llm-variant.js';
import { IntentOpsError } from '../../core/errors.js';
import type { ModelVersion } from '../../ports/registry-store.js';
import { findVersion, type Registry } from './registry.js';

/*
 * LLM variants in the registry, like models: each registration is an immutable numbered version
 * of a registered name (e.g. `tickets-llm`), stored content-addressed as one self-contained
 * `variant.md` (settings as front matter, the template after it, a promptFile inlined), with
 * aliases such as champion / challenger whose every move is audited (`models history NAME`).
 */

/** The file an LLM variant artifact holds. */
export const VARIANT_FILE = 'variant.md';
const MARK = 'llm variant';

/** The variant as one self-contained Markdown file: the same settings and template, so the same content hash. */
export function canonicalVariant(v: LlmVariant): string {
  const front = stringify({ name: v.name, ...v.settings }).trimEnd();
  return `---\n${front}\n---\n<!-- system -->\n${v.template.system}\n<!-- user -->\n${v.template.user}\n`;
}

/** Reads and validates a variant file (the composition root's `loadVariant`: errors name file:line). */
export type LoadVariant = (file: string) => Promise<LlmVariant>;

/** Registers the variant in `file` as the next version of `name`. */
export async function registerVariant(reg: Registry, file: string, name: string, who: string | null, loadVariant: LoadVariant): Promise<{ version: ModelVersion; variant: LlmVariant }> {
  checkModelName(name);
  const variant = await loadVariant(file);
  const dir = mkdtempSync(join(tmpdir(), 'intentops-variant-'));
  try {
    writeFileSync(join(dir, VARIANT_FILE), canonicalVariant(variant));
    const hash = await reg.artifacts.put(dir);
    const version = await reg.store.addVersion({ name, artifact: hash, description: `${MARK} ${variant.name}@${variant.hash}`, source: resolve(file), metrics: {}, createdBy: who });
    return { version, variant };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The variant a registry reference (`NAME@ALIAS`, `NAME/3`, `models:/…`) names. */
export async function resolveVariant(reg: Registry, ref: string, loadVariant: LoadVariant): Promise<{ version: ModelVersion; variant: LlmVariant }> {
  const version = await findVersion(reg, ref);
  const dir = await reg.artifacts.materialise(version.artifact);
  const file = join(dir, VARIANT_FILE);
  if (!existsSync(file)) {
    throw new IntentOpsError('invalid_input', `${version.name}/${version.version} is a model bundle, not an LLM variant`, { where: ref, hint: 'register variants with `intentops llm register FILE --name NAME`' });
  }
  const loaded = await loadVariant(file);
  // report it under its registry reference, not the artifact store's path
  return { version, variant: { ...loaded, file: `${version.name}/${version.version}` } };
}
