// The JSON depth bound (app/jsonInput.ts): the text scan agrees with the real nesting of any JSON value, strings
// full of brackets, quotes and backslashes do not fool it, and 1 MB of nesting is refused without recursing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonTextTooDeep, jsonValueTooDeep, MAX_JSON_DEPTH, parseJsonBody, parseJsonText } from '../../app/jsonInput.js';

/** The nesting of a parsed value, recursively: fine for the shallow values the properties generate. */
function depthOf(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(depthOf));
}

/** Strings that look like JSON structure: brackets, quotes, backslashes, escapes. */
const tricky = fc.stringMatching(/^[[\]{}"\\/u0-9a ]{0,12}$/);
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant(null), fc.integer(), tricky, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.dictionary(tricky, tie('value'), { maxKeys: 3 }),
})).value;

describe('JSON depth bound', () => {
  it('the text scan and the value walk both agree with the real depth, for every bound', () => {
    fc.assert(
      fc.property(jsonish, fc.integer({ min: 0, max: 8 }), fc.boolean(), (value, max, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        const deep = depthOf(value) > max;
        expect(jsonTextTooDeep(text, max)).toBe(deep);
        expect(jsonValueTooDeep(value, max)).toBe(deep);
      }),
      { numRuns: 500 },
    );
  });

  it('brackets inside strings, escaped quotes and runs of backslashes are not structure', () => {
    expect(jsonTextTooDeep('{"a":"[[[[{{{{"}', 1)).toBe(false);
    expect(jsonTextTooDeep('["\\"[[[", "\\\\", [1]]', 1)).toBe(true);
    expect(jsonTextTooDeep('["\\\\\\"[[["]', 1)).toBe(false);
    expect(jsonTextTooDeep(`[${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBe(false);
    expect(jsonTextTooDeep(`[${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH + 1)}`)).toBe(true);
  });

  it('1 MB of nesting, arrays or objects, is refused before parsing, with a reason', () => {
    const arrays = `${'['.repeat(524_288)}${']'.repeat(524_288)}`;
    const objects = `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`;
    for (const text of [arrays, objects]) {
      expect(parseJsonText(text)).toEqual({ ok: false, tooDeep: true, reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` });
      expect(parseJsonBody(Buffer.from(text))).toMatchObject({ ok: false, tooDeep: true });
      // Parsed anyway (V8's parser does not recurse), the value walk still refuses it without overflowing.
      expect(jsonValueTooDeep(JSON.parse(text))).toBe(true);
    }
  });

  it('parses what is within the bound; a body that is not JSON says so without quoting it back', () => {
    expect(parseJsonText('{"records":[{"a":[1,2]}]}')).toEqual({ ok: true, value: { records: [{ a: [1, 2] }] } });
    const bad = parseJsonText('{"secret-ish": ');
    expect(bad).toMatchObject({ ok: false, tooDeep: false });
    expect(!bad.ok && bad.reason.startsWith('invalid JSON: ')).toBe(true);
    expect(parseJsonBody(Buffer.from('{"secret-ish": '))).toEqual({ ok: false, tooDeep: false, reason: 'body is not JSON' });
  });
});
