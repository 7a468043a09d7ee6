import { execFileSync } from 'node:child_process';

/** The git commit of the working directory, for run records; null outside a repository. */
export function codeVersion(): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return null;
  }
}
