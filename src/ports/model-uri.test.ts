import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../core/errors.js';
import { checkAlias, formatModelUri, parseModelUri } from './model-uri.js';

describe('model URIs', () => {
  it('parses aliases, versions and latest, with or without models:/', () => {
    expect(parseModelUri('models:/tickets@champion')).toEqual({ name: 'tickets', ref: { alias: 'champion' } });
    expect(parseModelUri('tickets@challenger')).toEqual({ name: 'tickets', ref: { alias: 'challenger' } });
    expect(parseModelUri('models:/tickets/3')).toEqual({ name: 'tickets', ref: 3 });
    expect(parseModelUri('support.de_v2/12')).toEqual({ name: 'support.de_v2', ref: 12 });
    expect(parseModelUri('models:/tickets/latest')).toEqual({ name: 'tickets', ref: 'latest' });
  });

  it('fails malformed URIs with invalid_input naming the accepted forms', () => {
    for (const uri of ['tickets', 'models:/tickets', 'tickets/0', 'tickets/03', 'tickets/1.5', 'tickets/-1', 'tickets@', '@champion', 'tickets@latest', 'tickets@v2', 'a/b/c', 'tickets@x/1', 'models://tickets/1', '']) {
      let err: unknown;
      try {
        parseModelUri(uri);
      } catch (e) {
        err = e;
      }
      expect(err, uri).toBeInstanceOf(IntentOpsError);
      expect((err as IntentOpsError).code).toBe('invalid_input');
      expect((err as IntentOpsError).hint).toContain('models:/NAME@ALIAS');
    }
  });

  it('reserves latest and v<number> as aliases', () => {
    expect(checkAlias('champion')).toBe('champion');
    expect(checkAlias('shadow-2')).toBe('shadow-2');
    for (const a of ['latest', 'LATEST', 'v1', 'V12', '2fast']) expect(() => checkAlias(a)).toThrow(/not valid/);
  });

  it('formats canonical URIs that parse back', () => {
    for (const ref of [3, 'latest' as const, { alias: 'champion' }]) {
      expect(parseModelUri(formatModelUri('tickets', ref))).toEqual({ name: 'tickets', ref });
    }
  });
});
