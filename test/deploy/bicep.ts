/**
 * Plain parsing of a Bicep file, for the checks the tests can make without the Bicep compiler
 * (not installable here): comments dropped, string literals masked (interpolations kept as code),
 * declarations listed. It reads the subset main.bicep uses and refuses multi-line '''strings'''.
 */

export interface Param {
  readonly name: string;
  readonly type: string;
  readonly hasDefault: boolean;
  readonly secure: boolean;
  readonly decorators: string;
}

export interface Bicep {
  /** Comments removed, strings intact. */
  readonly clean: string;
  /** Comments removed, string literal characters replaced by `x` (interpolations stay code). */
  readonly code: string;
  readonly params: readonly Param[];
  readonly vars: readonly string[];
  readonly resources: readonly { readonly symbol: string; readonly type: string; readonly apiVersion: string; readonly existing: boolean }[];
  readonly outputs: readonly { readonly name: string; readonly expression: string }[];
}

/** Removes comments; masks string literals in `code` (same length and newlines as `clean`). */
export function mask(text: string): { clean: string; code: string } {
  let clean = '';
  let code = '';
  const stack: ('code' | 'string' | 'interp')[] = ['code'];
  const depth: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const state = stack[stack.length - 1];
    if (state === 'string') {
      if (c === '\\') {
        clean += c + text[i + 1];
        code += 'xx';
        i++;
      } else if (c === '$' && text[i + 1] === '{') {
        clean += '${';
        code += '${';
        i++;
        stack.push('interp');
        depth.push(0);
      } else if (c === "'") {
        clean += c;
        code += c;
        stack.pop();
      } else {
        clean += c;
        code += c === '\n' ? '\n' : 'x';
      }
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      i--;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Error('unterminated /* comment');
      const skipped = text.slice(i, end + 2).replace(/[^\n]/g, '');
      clean += skipped;
      code += skipped;
      i = end + 1;
      continue;
    }
    if (state === 'interp' && c === '{') depth[depth.length - 1]++;
    if (state === 'interp' && c === '}') {
      if (depth[depth.length - 1] === 0) {
        stack.pop();
        depth.pop();
      } else depth[depth.length - 1]--;
    }
    if (c === "'") {
      if (text.startsWith("'''", i)) throw new Error("multi-line '''strings''' are not read by this parser");
      stack.push('string');
    }
    clean += c;
    code += c;
  }
  if (stack.length !== 1) throw new Error('unterminated string or interpolation');
  return { clean, code };
}

/** The unbalanced or mismatched brackets of masked code, as `line: problem`. */
export function bracketProblems(code: string): string[] {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const open: { c: string; line: number }[] = [];
  const problems: string[] = [];
  let line = 1;
  for (const c of code) {
    if (c === '\n') line++;
    else if ('([{'.includes(c)) open.push({ c, line });
    else if (c in pairs) {
      const top = open.pop();
      if (top?.c !== pairs[c]) problems.push(`${line}: ${c} closes ${top ? `${top.c} of line ${top.line}` : 'nothing'}`);
    }
  }
  for (const o of open) problems.push(`${o.line}: ${o.c} is never closed`);
  return problems;
}

export function parseBicep(text: string): Bicep {
  const { clean, code } = mask(text);
  // declarations are separated by blank lines; a parameter's decorators sit in its block
  const params: Param[] = [];
  for (const block of code.split(/\n\s*\n/)) {
    const m = /^param (\w+) (\w+)( = .*)?$/m.exec(block);
    if (!m) continue;
    const decorators = block.slice(0, m.index);
    params.push({ name: m[1], type: m[2], hasDefault: Boolean(m[3]), secure: /@secure\(\)/.test(decorators), decorators });
  }
  const vars = [...code.matchAll(/^var (\w+) = /gm)].map((m) => m[1]);
  const resources = [...clean.matchAll(/^resource (\w+) '([^'@]+)@([^']+)'( existing)? = /gm)].map((m) => ({ symbol: m[1], type: m[2], apiVersion: m[3], existing: Boolean(m[4]) }));
  const outputs = [...code.matchAll(/^output (\w+) \w+ = (.*)$/gm)].map((m) => ({ name: m[1], expression: m[2] }));
  return { clean, code, params, vars, resources, outputs };
}
