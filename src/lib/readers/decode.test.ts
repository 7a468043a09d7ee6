import { describe, expect, it } from 'vitest';
import { countLineBreaks, decodeUtf8, findInvalidUtf8, lineLocator } from './decode.js';
import { elementSpans } from './json-array.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('findInvalidUtf8', () => {
  it('accepts valid multi-byte text, including 4-byte emoji', () => {
    expect(findInvalidUtf8(bytes('naïve – 😀 日本\n'))).toEqual(new Map());
  });

  it.each([
    ['lone continuation byte', [0x80]],
    ['Latin-1 é', [0xe9, 0x20]],
    ['overlong 2-byte', [0xc0, 0xaf]],
    ['overlong 3-byte', [0xe0, 0x80, 0xaf]],
    ['UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['truncated at end', [0xe2, 0x82]],
  ])('finds %s with its line and byte column', (_name, bad) => {
    expect(findInvalidUtf8(bytes('ok\r\nab', bad as number[], '\nfine'))).toEqual(new Map([[2, 3]]));
  });

  it('does not let a truncated sequence swallow the line break', () => {
    expect(findInvalidUtf8(bytes([0xe2, 0x82], '\n', [0xff]))).toEqual(
      new Map([
        [1, 1],
        [2, 1],
      ]),
    );
  });

  it('decodes leniently with U+FFFD and strips the BOM', () => {
    const d = decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'a', [0xff], 'b'));
    expect(d.text).toBe('a\uFFFDb');
    expect(d.badLines.get(1)).toBe(5); // byte column, BOM included
  });
});

describe('line helpers', () => {
  it('counts CRLF, LF and CR as one break each', () => {
    expect(countLineBreaks('a\r\nb\nc\rd')).toBe(3);
  });

  it('maps offsets to lines', () => {
    const at = lineLocator('ab\ncd\r\nef');
    expect([at(0), at(2), at(3), at(5), at(7), at(8)]).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('finds top-level array elements, ignoring brackets and quotes in strings', () => {
    const text = '[ {"a": "],\\"["}, [1, 2] ,\n 3 ]';
    const spans = elementSpans(text);
    expect(spans.map((s) => text.slice(s.start, s.end + 1))).toEqual(['{"a": "],\\"["}', '[1, 2]', '3']);
  });
});
