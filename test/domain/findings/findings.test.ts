// Table tests of the event-derived findings, each at a fixed `now`.
import { describe, expect, it } from 'vitest';
import { contoso, contosoDoc, estateFrom, EUS_VAULT, V_NEW, V_OLD, WUS_VAULT } from '../../support/estates.js';
import { at, created, keyUpdate, nearExpiry, vaultConfig, vaultLifecycle } from '../../support/events.js';
import { reportOf } from '../../support/fold.js';

const estate = contoso();
const W1 = 'ab12cd34ef56ab12cd34ef56ab12cd34';
const codes = (events: Parameters<typeof reportOf>[1], now: string, e = estate) =>
  reportOf(e, events, at(now)).findings.map((f) => [f.code, f.vault]);
const findings = (events: Parameters<typeof reportOf>[1], now: string, e = estate) => reportOf(e, events, at(now)).findings;

describe('geo_rotation_incomplete', () => {
  const rotated = created({ time: '2026-03-02T14:06:02Z', vault: EUS_VAULT, version: V_NEW });
  it('is not raised while the hour is still running', () => {
    expect(codes([rotated], '2026-03-02T15:06:01Z')).toEqual([]);
  });
  it('names the vault that did not get the new version within an hour', () => {
    expect(findings([rotated], '2026-03-02T15:06:02Z')).toEqual([
      { code: 'geo_rotation_incomplete', protector: 'orders-sql', vault: WUS_VAULT, detail: { newVersion: V_NEW, seenIn: EUS_VAULT, createdAt: '2026-03-02T14:06:02.000Z' } },
    ]);
  });
  it('is satisfied by a version created in the other vault within ±1 h (secondary first is normal)', () => {
    expect(codes([rotated, created({ time: '2026-03-02T13:30:00Z', vault: WUS_VAULT, version: W1 })], '2026-03-03T00:00:00Z')).toEqual([]);
    expect(codes([rotated, created({ time: '2026-03-02T15:06:00Z', vault: WUS_VAULT, version: W1 })], '2026-03-03T00:00:00Z')).toEqual([]);
  });
  it('a creation more than an hour away does not count', () => {
    expect(codes([rotated, created({ time: '2026-03-02T12:00:00Z', vault: WUS_VAULT, version: W1 })], '2026-03-03T00:00:00Z')).toEqual([['geo_rotation_incomplete', WUS_VAULT]]);
  });
  it('a later complete rotation clears an earlier incomplete one', () => {
    const later = [created({ time: '2026-03-05T10:00:00Z', vault: WUS_VAULT, version: W1 }), created({ time: '2026-03-05T10:05:00Z', vault: EUS_VAULT, version: 'cd12cd34ef56ab12cd34ef56ab12cd34' })];
    expect(codes([rotated, ...later], '2026-03-06T00:00:00Z')).toEqual([]);
  });
});

describe('key_near_expiry', () => {
  it.each([
    ['2026-04-02T00:00:00Z', true], // exactly 30 days
    ['2026-04-02T00:00:01Z', false], // 30 days and a second
  ])('a version expiring %s is near expiry at 2026-03-03: %s', (exp, expected) => {
    const found = findings([created({ time: '2026-03-01T00:00:00Z', version: V_NEW, exp })], '2026-03-03T00:00:00Z').filter((f) => f.code === 'key_near_expiry');
    expect(found.length > 0).toBe(expected);
  });
  it('reports expired needed versions as expired, skips disabled ones', () => {
    const events = [
      created({ time: '2026-01-01T00:00:00Z', version: V_OLD, exp: '2026-03-01T00:00:00Z' }),
      created({ time: '2026-01-01T00:01:00Z', version: V_NEW, exp: '2026-03-10T00:00:00Z' }),
      created({ time: '2026-01-01T00:02:00Z', version: W1, exp: '2026-03-05T00:00:00Z' }),
      keyUpdate({ time: '2026-02-01T00:00:00Z', version: W1, enabled: false }),
    ];
    const [f] = findings(events, '2026-03-03T00:00:00Z').filter((x) => x.code === 'key_near_expiry');
    expect(f).toEqual({
      code: 'key_near_expiry', protector: 'orders-sql', vault: EUS_VAULT,
      detail: { versions: [{ version: V_OLD, exp: '2026-03-01T00:00:00.000Z', expired: true, notifiedByKeyVault: false }, { version: V_NEW, exp: '2026-03-10T00:00:00.000Z', expired: false, notifiedByKeyVault: false }] },
    });
  });

  it("Key Vault's own KeyNearExpiry notice counts even when its lead time is longer than 30 days", () => {
    const events = [created({ time: '2026-03-01T00:00:00Z', version: V_NEW, exp: '2026-05-01T00:00:00Z' }), nearExpiry({ time: '2026-03-02T00:00:00Z', version: V_NEW, exp: '2026-05-01T00:00:00Z' })];
    expect(findings(events, '2026-03-01T12:00:00Z').filter((f) => f.code === 'key_near_expiry')).toEqual([]);
    const [f] = findings(events, '2026-03-03T00:00:00Z').filter((x) => x.code === 'key_near_expiry');
    expect(f?.detail).toEqual({ versions: [{ version: V_NEW, exp: '2026-05-01T00:00:00.000Z', expired: false, notifiedByKeyVault: true }] });
  });
});

describe('vault posture', () => {
  it.each([
    [{ purgeProtection: false }, ['purge_protection_disabled']],
    [{ softDelete: false }, ['soft_delete_disabled']],
    [{ deny: true, bypass: false }, ['vault_firewall_blocks_trusted_services']],
    [{ deny: true, bypass: true }, []],
    [{ deny: false }, []],
    [{ purgeProtection: true, softDelete: true }, []],
  ])('vault config %o gives %o', (config, expected) => {
    expect(codes([vaultConfig({ time: '2026-03-03T00:00:00Z', ...config })], '2026-03-03T01:00:00Z').map(([c]) => c)).toEqual(expected);
  });
  it('the latest config wins, whatever order the records came in', () => {
    const events = [vaultConfig({ time: '2026-03-03T00:05:00Z', purgeProtection: true }), vaultConfig({ time: '2026-03-03T00:00:00Z', purgeProtection: false })];
    expect(codes(events, '2026-03-03T01:00:00Z')).toEqual([]);
    expect(codes([...events].reverse(), '2026-03-03T01:00:00Z')).toEqual([]);
  });
  it('the estate snapshot gives the posture when no record says otherwise', () => {
    const doc = contosoDoc() as { vaults: Record<string, unknown>[] };
    doc.vaults[1] = { ...doc.vaults[1], properties: { enableSoftDelete: true, enablePurgeProtection: false } };
    expect(codes([], '2026-03-03T01:00:00Z', estateFrom(doc))).toEqual([['purge_protection_disabled', WUS_VAULT]]);
  });
  it('a deleted vault has no near-expiry finding (its incident says more)', () => {
    const events = [created({ time: '2026-03-01T00:00:00Z', version: V_NEW, exp: '2026-03-10T00:00:00Z' }), vaultLifecycle({ time: '2026-03-02T00:00:00Z', kind: 'vault-deleted' })];
    expect(codes(events, '2026-03-03T00:00:00Z').map(([c]) => c)).not.toContain('key_near_expiry');
  });
});

describe('rotation_due', () => {
  it.each([
    ['2026-08-29T23:59:59Z', false],
    ['2026-08-30T00:00:00Z', true], // created 2026-03-03 + P180D
  ])('at %s: %s', (now, due) => {
    const events = [created({ time: '2026-03-03T00:00:00Z', version: V_NEW }), created({ time: '2026-03-03T00:10:00Z', vault: WUS_VAULT, version: W1 })];
    const found = findings(events, now).filter((f) => f.code === 'rotation_due');
    expect(found).toEqual(due ? [{ code: 'rotation_due', protector: 'orders-sql', vault: EUS_VAULT, detail: { version: V_NEW, lastRotatedAt: '2026-03-03T00:00:00.000Z', dueAt: '2026-08-30T00:00:00.000Z' } }] : []);
  });
  it('is not guessed when no creation time is known', () => {
    expect(codes([], '2030-01-01T00:00:00Z')).toEqual([]);
  });
});
