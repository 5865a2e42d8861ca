// Pure helpers of the Table adapters: key encoding and text chunking, checked with properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_CHARS, entityBytes, fromChunkProperties, splitText, toChunkProperties, truncateText } from '../../../adapters/tables/chunks.js';
import { encodeKey, sortableNumber } from '../../../adapters/tables/keys.js';

// eslint-disable-next-line no-control-regex
const ILLEGAL = /[/\\#?\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const anyText = fc.string({ unit: 'binary', maxLength: 300 });

describe('encodeKey', () => {
  it('always yields a legal key of bounded length', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const k = encodeKey(s);
        expect(ILLEGAL.test(k)).toBe(false);
        expect(k.length).toBeGreaterThan(0);
        expect(k.length).toBeLessThanOrEqual(255);
      }),
    );
  });

  it('is injective on distinct inputs', () => {
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        fc.pre(a !== b);
        expect(encodeKey(a)).not.toBe(encodeKey(b));
      }),
    );
    expect(encodeKey('~abc')).not.toBe('~abc');
    expect(encodeKey(encodeKey('a/b'))).not.toBe(encodeKey('a/b'));
  });

  it('keeps plain ids readable', () => {
    expect(encodeKey('orders-tde')).toBe('orders-tde');
    expect(encodeKey('keyvault-audit-0')).toBe('keyvault-audit-0');
  });
});

describe('sortableNumber', () => {
  it('sorts as text in numeric order for non-negative safe integers', () => {
    const n = fc.maxSafeNat();
    fc.assert(
      fc.property(n, n, (a, b) => {
        const [ka, kb] = [sortableNumber(a, 20), sortableNumber(b, 20)];
        expect(ka < kb).toBe(a < b);
        expect(ka === kb).toBe(a === b);
      }),
    );
  });

  it('gives other numbers a distinct legal key after every padded one', () => {
    for (const n of [-1, 1.5, Number.NaN, 2 ** 60]) {
      expect(sortableNumber(n, 20).startsWith('~')).toBe(true);
      expect(ILLEGAL.test(sortableNumber(n, 20))).toBe(false);
    }
  });
});

describe('chunking', () => {
  it('splits and joins any text back exactly, within the size, never splitting a surrogate pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.integer({ min: 2, max: 50 }), (text, size) => {
        const parts = splitText(text, size);
        expect(parts.join('')).toBe(text);
        for (const p of parts) {
          expect(p.length).toBeLessThanOrEqual(size);
          expect(p.length).toBeGreaterThan(0);
          expect(LONE_SURROGATE.test(p)).toBe(false);
        }
      }),
    );
  });

  it('round-trips through entity properties', () => {
    const text = 'é🔑'.repeat(CHUNK_CHARS);
    const { properties, count } = toChunkProperties('s', text);
    expect(count).toBe(3);
    expect(fromChunkProperties(properties, 's', count)).toBe(text);
    expect(fromChunkProperties(properties, 's', count + 1)).toBeNull();
    expect(fromChunkProperties(properties, 's', '3')).toBeNull();
    expect(toChunkProperties('s', '').count).toBe(0);
  });

  it('truncates without splitting a surrogate pair', () => {
    expect(truncateText('ab🔑c', 3)).toBe('ab');
    expect(truncateText('ab🔑c', 4)).toBe('ab🔑');
    expect(truncateText('abc', 5)).toBe('abc');
  });

  it('sizes an entity by the stricter of the Azure (UTF-16) and Azurite (UTF-8 body) rules', () => {
    // Azure: 4 + 2·(2+1) + (8 + 2·1 + 4 + 2·1000) = 2024 bytes; the UTF-8 body of ASCII text is smaller.
    expect(entityBytes('pk', 'r', { s: 'x'.repeat(1000) })).toBe(2024);
    // A control character is 2 bytes of UTF-16 but a 6-byte \uXXXX escape in the JSON body: Azurite's count wins.
    expect(entityBytes('pk', 'r', { s: '\u0001'.repeat(1000) })).toBeGreaterThan(6000);
  });
});
