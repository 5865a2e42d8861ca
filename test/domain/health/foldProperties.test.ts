// I5: the report is a function of the *set* of events. Any permutation, with any duplication, gives the
// same bytes; and every incident is internally consistent.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyEvent } from '../../../domain/events/keyEvent.js';
import { contoso, EUS_OID, EUS_SERVER, EUS_VAULT, V_NEW, V_OLD, WUS_OID, WUS_SERVER, WUS_VAULT } from '../../support/estates.js';
import { access, at, created, keyUpdate, protectorSet, roleAssignment, sqlDatabaseState, vaultConfig, vaultLifecycle } from '../../support/events.js';
import { reportOf } from '../../support/fold.js';

const estate = contoso();
const START = at('2026-03-03T00:00:00Z');
const SPAN_MIN = 6 * 60;
const iso = (minute: number, second: number): string => new Date(START + minute * 60_000 + second * 1000).toISOString();

const member = fc.constantFrom({ oid: EUS_OID, vault: EUS_VAULT, server: EUS_SERVER }, { oid: WUS_OID, vault: WUS_VAULT, server: WUS_SERVER });
const when = fc.tuple(fc.integer({ min: 0, max: SPAN_MIN }), fc.integer({ min: 0, max: 59 })).map(([m, s]) => iso(m, s));
const denial = fc.constantFrom('rbac', 'access_policy', 'firewall', 'not_found', 'disabled', 'expired', 'unauthenticated', 'other') as fc.Arbitrary<
  'rbac' | 'access_policy' | 'firewall' | 'not_found' | 'disabled' | 'expired' | 'unauthenticated' | 'other'
>;

/** One event of any kind the fold reacts to, about the contoso estate (or, sometimes, about nothing in it). */
const anEvent: fc.Arbitrary<KeyEvent> = fc.oneof(
  fc.record({ m: member, t: when }).map(({ m, t }) => access({ time: t, oid: m.oid, vault: m.vault })),
  fc.record({ m: member, t: when, d: denial }).map(({ m, t, d }) => access({ time: t, oid: m.oid, vault: m.vault, denial: d, status: d === 'not_found' ? 404 : 403 })),
  fc.record({ m: member, t: when }).map(({ m, t }) => access({ time: t, oid: m.oid, vault: m.vault, status: 429 })),
  fc.record({ m: member, t: when, op: fc.constantFrom('write' as const, 'delete' as const) }).map(({ m, t, op }) => roleAssignment({ time: t, op, principalId: m.oid, scope: `/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourcegroups/rg-data-prod/providers/microsoft.keyvault/vaults/${m.vault}` })),
  fc.record({ m: member, t: when, v: fc.constantFrom(V_OLD, V_NEW, null), e: fc.boolean() }).map(({ m, t, v, e }) => keyUpdate({ time: t, vault: m.vault, version: v, enabled: e })),
  fc.record({ m: member, t: when, v: fc.constantFrom(V_OLD, V_NEW), exp: fc.integer({ min: 1, max: 90 }) }).map(({ m, t, v, exp }) => created({ time: t, vault: m.vault, version: v, exp: new Date(START + exp * 86_400_000).toISOString() })),
  fc.record({ m: member, t: when, v: fc.constantFrom(V_OLD, V_NEW) }).map(({ m, t, v }) => protectorSet({ time: t, server: m.server, version: v, vault: m.vault })),
  fc.record({ m: member, t: when, k: fc.constantFrom('vault-deleted' as const, 'vault-recovered' as const) }).map(({ m, t, k }) => vaultLifecycle({ time: t, kind: k, vault: m.vault })),
  fc.record({ m: member, t: when, deny: fc.boolean(), bypass: fc.boolean(), pp: fc.boolean() }).map(({ m, t, deny, bypass, pp }) => vaultConfig({ time: t, vault: m.vault, deny, bypass, purgeProtection: pp })),
  fc.record({ m: member, t: when, s: fc.constantFrom('inaccessible' as const, 'accessible' as const) }).map(({ m, t, s }) => sqlDatabaseState({ time: t, server: m.server, state: s })),
  when.map((t) => access({ time: t, oid: '99999999-9999-4999-8999-999999999999', denial: 'rbac' })),
);

/** A set of events (unique ids), then a shuffled sequence of it in which some events appear more than once. */
const eventSetAndDelivery = fc
  .uniqueArray(anEvent, { minLength: 1, maxLength: 40, selector: (e) => e.id })
  .chain((set) =>
    fc.record({
      set: fc.constant(set),
      delivery: fc.shuffledSubarray([...set, ...set], { minLength: set.length * 2, maxLength: set.length * 2 }).chain((all) =>
        fc.subarray(all, { minLength: set.length }).filter((sub) => set.every((e) => sub.some((x) => x.id === e.id))).chain((sub) => fc.shuffledSubarray(sub, { minLength: sub.length, maxLength: sub.length })),
      ),
    }),
  );

const nowArb = fc.integer({ min: 0, max: SPAN_MIN + 120 }).map((m) => START + m * 60_000);

describe('fold properties', () => {
  it('any permutation and duplication of an event set gives the same report (I5)', () => {
    fc.assert(
      fc.property(eventSetAndDelivery, nowArb, ({ set, delivery }, now) => {
        const sorted = [...set].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
        const { incidents, findings } = reportOf(estate, sorted, now);
        const replayed = reportOf(estate, delivery, now);
        expect(JSON.stringify({ i: replayed.incidents, f: replayed.findings })).toBe(JSON.stringify({ i: incidents, f: findings }));
      }),
      { numRuns: 300 },
    );
  });

  it('every incident is internally consistent', () => {
    const p = estate.protectors[0];
    if (!p) throw new Error('contoso has a protector');
    fc.assert(
      fc.property(eventSetAndDelivery, nowArb, ({ set }, now) => {
        const report = reportOf(estate, set, now);
        const keys = new Set<string>();
        for (const inc of report.incidents) {
          const key = `${inc.protector}|${inc.member}|${inc.cause}`;
          expect(keys.has(key)).toBe(false); // one incident per (protector, member, cause)
          keys.add(key);
          expect(inc.stage === 'resolved').toBe(inc.resolvedAt !== null);
          if (inc.accessLostAt === null) {
            expect(['at_risk', 'resolved']).toContain(inc.stage);
            expect(inc.inaccessibleAt).toBeNull();
            expect(inc.autohealDeadline).toBeNull();
          } else {
            const lost = Date.parse(inc.accessLostAt);
            expect(Date.parse(inc.inaccessibleAt ?? '')).toBe(lost + p.inaccessibleAfter);
            expect(Date.parse(inc.autohealDeadline ?? '')).toBe(lost + p.autohealWindow);
            expect(Date.parse(inc.openedAt)).toBeLessThanOrEqual(lost);
            if (inc.stage === 'inaccessible') expect(now).toBeGreaterThanOrEqual(lost + p.inaccessibleAfter);
            if (inc.stage === 'access_lost') expect(now).toBeLessThan(lost + p.inaccessibleAfter);
          }
          if (inc.resolvedAt !== null) expect(Date.parse(inc.resolvedAt)).toBeGreaterThanOrEqual(Date.parse(inc.openedAt));
          expect(Date.parse(inc.openedAt)).toBeLessThanOrEqual(now);
          expect(inc.evidence.length).toBeGreaterThan(0);
          expect(inc.evidence.length).toBeLessThanOrEqual(10);
          const times = inc.evidence.map((e) => Date.parse(e.time));
          expect(times).toEqual([...times].sort((a, b) => a - b));
        }
        const sortedKeys = report.incidents.map((i) => `${i.protector}|${i.member}|${i.cause}`);
        expect(sortedKeys).toEqual([...sortedKeys].sort());
      }),
      { numRuns: 300 },
    );
  });

  it('events after `now` do not change the report at `now`', () => {
    fc.assert(
      fc.property(eventSetAndDelivery, nowArb, ({ set }, now) => {
        const upToNow = set.filter((e) => e.time <= now);
        expect(JSON.stringify(reportOf(estate, set, now).incidents)).toBe(JSON.stringify(reportOf(estate, upToNow, now).incidents));
      }),
      { numRuns: 200 },
    );
  });
});
