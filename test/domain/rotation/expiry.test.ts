// A version a rotation makes keeps the lifetime of the key's newest expiring version: a key whose versions expire
// never gets a current version that does not (Azure Policy's "keys should have an expiration date").
import { describe, expect, it } from 'vitest';
import { successorExpiry } from '../../../domain/rotation/expiry.js';

const NOW = Date.parse('2026-12-06T08:00:00Z');
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);
type V = Parameters<typeof successorExpiry>[0][number];
const v = (version: string, created: string | null, exp: string | null, extra: Partial<V> = {}): V => ({ version, enabled: true, created: created === null ? null : at(created), exp: exp === null ? null : at(exp), nbf: null, ...extra });

describe('successorExpiry', () => {
  it.each<[string, V[], number | null]>([
    ['no versions', [], null],
    ['versions that never expire', [v('a', '2026-01-01T00:00:00Z', null)], null],
    ['a year from its creation', [v('a', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')], NOW + 365 * DAY],
    ['90 days from a not-before later than its creation', [v('a', '2025-06-01T00:00:00Z', '2026-04-01T00:00:00Z', { nbf: at('2026-01-01T00:00:00Z') })], NOW + 90 * DAY],
    ['a back-dated not-before does not lengthen it: counted from its creation', [v('a', '2026-01-01T00:00:00Z', '2026-04-01T00:00:00Z', { nbf: at('2025-01-01T00:00:00Z') })], NOW + 90 * DAY],
    ['the newest expiring version counts, not an older one', [v('old', '2025-01-01T00:00:00Z', '2025-03-02T00:00:00Z'), v('new', '2026-01-01T00:00:00Z', '2026-01-31T00:00:00Z')], NOW + 30 * DAY],
    ['a newest version that lost its expiry: the newest that has one', [v('a', '2025-01-01T00:00:00Z', '2025-01-31T00:00:00Z'), v('b', '2026-01-01T00:00:00Z', null)], NOW + 30 * DAY],
    ['a disabled version does not count', [v('a', '2025-01-01T00:00:00Z', '2025-01-31T00:00:00Z'), v('b', '2026-01-01T00:00:00Z', '2026-01-11T00:00:00Z', { enabled: false })], NOW + 30 * DAY],
    ['an expiry but no start to count from', [v('a', null, '2027-01-01T00:00:00Z')], null],
    ['an expiry before its start (no lifetime)', [v('a', '2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z')], null],
    ['an expired version still passes on its lifetime', [v('a', '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z')], NOW + 59 * DAY],
  ])('%s', (_name, versions, expected) => {
    expect(successorExpiry(versions, NOW)).toBe(expected);
  });

  it('never counts the new version itself', () => {
    const versions = [v('old', '2026-01-01T00:00:00Z', '2026-01-31T00:00:00Z'), v('new', '2026-12-06T07:59:00Z', '2027-12-06T07:59:00Z')];
    expect(successorExpiry(versions, NOW, 'new')).toBe(NOW + 30 * DAY);
  });
});
