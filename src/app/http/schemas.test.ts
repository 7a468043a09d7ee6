import { describe, expect, it } from 'vitest';
import { plainClassifyBody, requestSchemas } from './schemas.js';

describe('plainClassifyBody (the classify body checked without zod)', () => {
  const limits = { maxTextLength: 20, maxBatch: 4 };
  const schema = requestSchemas(limits).classify;
  const plain = plainClassifyBody(limits);
  const bodies: unknown[] = [
    { text: 'where is my card' },
    { text: 'where is my card', id: 'msg-1.a:b@c_d' },
    { id: 'x', text: 'hi' },
    { text: '' },
    { text: '   \n' },
    { text: 'x'.repeat(20) },
    { text: 'x'.repeat(21) },
    { text: 'a \ud800 b' },
    { text: '\ud83d\ude00 ok' },
    { text: 'hi', extra: 1 },
    { text: 'hi', id: 'not an id' },
    { text: 'hi', id: '' },
    { text: 'hi', id: 'x'.repeat(129) },
    { text: 'hi', id: 7 },
    { text: 'hi', metadata: { a: 1 } },
    { text: 'hi', metadata: null },
    { text: 5 },
    { id: 'x' },
    {},
    [],
    null,
    'text',
    JSON.parse('{"__proto__": 1, "text": "hi"}'),
  ];

  it('returns exactly what the schema returns for the bodies it takes, and leaves every other body to the schema', () => {
    let taken = 0;
    for (const b of bodies) {
      const fast = plain(b);
      const slow = schema.safeParse(b);
      if (fast === undefined) continue;
      taken++;
      expect(slow.success, JSON.stringify(b)).toBe(true);
      expect(fast).toStrictEqual(slow.data);
      expect(Object.keys(fast)).toEqual(Object.keys(slow.data!));
    }
    expect(taken).toBe(5);
  });
});
