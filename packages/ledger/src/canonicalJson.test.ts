import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonicalJson.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[2,1]},"b":1}',
    );
  });

  it('gives equal text for equal values written in another key order', () => {
    expect(canonicalJson({ x: 1, y: { p: true, q: null } })).toBe(
      canonicalJson({ y: { q: null, p: true }, x: 1 }),
    );
  });

  it('sorts integer-like keys as text, not in the numeric order objects keep them in', () => {
    expect(canonicalJson({ b: 1, 10: 2, 2: 3 })).toBe('{"10":2,"2":3,"b":1}');
  });

  it('drops undefined members of objects and writes them null in arrays, as JSON.stringify does', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1], c: () => 1 })).toBe('{"b":[null,1]}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('honours toJSON (dates) and writes non-finite numbers null', () => {
    expect(canonicalJson({ at: new Date('2026-05-05T08:14:22Z'), n: Number.NaN })).toBe(
      '{"at":"2026-05-05T08:14:22.000Z","n":null}',
    );
  });

  it('escapes strings exactly as JSON.stringify', () => {
    expect(canonicalJson({ s: 'a"b\n\u2028' })).toBe(JSON.stringify({ s: 'a"b\n\u2028' }));
  });

  it('parses back to the same value as JSON.stringify for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });
});
