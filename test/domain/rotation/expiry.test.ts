// A version a rotation makes keeps the lifetime of the one it succeeds: a key whose versions expire never gets a
// current version that does not (Azure Policy's "keys should have an expiration date" can deny such a write).
import { describe, expect, it } from 'vitest';
import { successorExpiry } from '../../../domain/rotation/expiry.js';

const NOW = Date.parse('2026-12-06T08:00:00Z');
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

describe('successorExpiry', () => {
  it.each([
    ['no previous version', undefined, null],
    ['a previous version without expiry', { exp: null, nbf: null, created: at('2026-01-01T00:00:00Z') }, null],
    ['a year from its creation', { exp: at('2027-01-01T00:00:00Z'), nbf: null, created: at('2026-01-01T00:00:00Z') }, NOW + 365 * DAY],
    ['90 days from its not-before, whatever its creation', { exp: at('2026-04-01T00:00:00Z'), nbf: at('2026-01-01T00:00:00Z'), created: at('2025-06-01T00:00:00Z') }, NOW + 90 * DAY],
    ['an expiry but no start to measure from', { exp: at('2027-01-01T00:00:00Z'), nbf: null, created: null }, null],
    ['an expiry before its start (no lifetime)', { exp: at('2026-01-01T00:00:00Z'), nbf: at('2026-02-01T00:00:00Z'), created: null }, null],
    ['an already expired version still passes on its lifetime', { exp: at('2026-03-01T00:00:00Z'), nbf: null, created: at('2026-01-01T00:00:00Z') }, NOW + 59 * DAY],
  ] as const)('%s', (_name, previous, expected) => {
    expect(successorExpiry(previous, NOW)).toBe(expected);
  });
});
