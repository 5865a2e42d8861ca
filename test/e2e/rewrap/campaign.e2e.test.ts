// DEK rewrap end to end (DESIGN.md §7, reliability.md R-8, R-9, R-10, K-1, K3's pattern): the production KeyWrapper
// and TableDekStore against the Key Vault emulator and Azurite. 300 DEKs under v1 of an RSA-2048 key, the key
// rotated, the campaign run: every DEK ends on v2 and unwraps through the emulator to its original plaintext
// (fingerprints), none lost, none written twice, and v1 may be disabled only afterwards.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runRewrapCampaign, type RewrapCampaignOptions, type RewrapSummary } from '../../../app/rewrap/campaign.js';
import { disableOldVersion } from '../../../app/retirement/disableVersion.js';
import type { ProtectorUsage } from '../../../app/retirement/ports.js';
import { silentLogger } from '../../../adapters/logging/logger.js';
import type { Protector } from '../../../domain/estate/model.js';
import { canonicalKid, parseVersionedKid } from '../../../domain/rewrap/kid.js';
import { DAY } from '../../../domain/time.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { KeyVaultLimits } from '../../../emulators/keyvault/index.js';
import { CountingDekStore } from '../../app/rewrap/support.js';
import { devCert } from '../../emulators/keyvault/support.js';
import { useAzurite } from '../../support/azurite.js';
import { KEY, startRig, unopenable, VAULT, type Rig } from './harness.js';

const azurite = useAzurite();
let cert: DevCertificate;
let rig: Rig | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await rig?.kv.close();
  rig = undefined;
});

async function rotated(deks: number, limits?: KeyVaultLimits): Promise<{ rig: Rig; v1: string; v2: string; store: CountingDekStore }> {
  rig = await startRig(cert, azurite().connection, { deks, ...(limits ? { limits } : {}) });
  const v2 = canonicalKid(await rig.rotate());
  return { rig, v1: canonicalKid(rig.v1), v2, store: new CountingDekStore(rig.store) };
}

function campaign(r: Rig, store: CountingDekStore, v1: string, v2: string, over: Partial<RewrapCampaignOptions> = {}): Promise<RewrapSummary> {
  return runRewrapCampaign(
    { store, wrapper: r.wrapper, clock: { now: () => Date.now() }, logger: silentLogger },
    // 380 units/s: below the emulator's default (documented) ceiling of 4,000 per 10 s.
    { fromKid: v1, toKid: v2, vaultBudgetPerSec: 380, concurrency: 16, ...over },
  );
}

async function expectInvariants(r: Rig, store: CountingDekStore, v2: string): Promise<void> {
  expect(await unopenable(r, v2)).toEqual([]);
  // Each DEK written exactly once over all the campaign's runs: none lost, none double-wrapped.
  expect(store.doubleWritten).toEqual([]);
  expect(store.totalCasOk).toBe(r.deks.length);
  for (const d of r.deks) expect(store.casOk.get(d.id)).toBe(1);
}

describe('rewrap campaign against the Key Vault emulator and Azurite', () => {
  it('300 DEKs: all on v2, all unwrap to their plaintext, each written once, complete; wraps local, one GET per version', async () => {
    const { rig: r, v1, v2, store } = await rotated(300);
    const s = await campaign(r, store, v1, v2);
    expect(s).toMatchObject({ scanned: 300, rewrapped: 300, alreadyDone: 0, conflicts: 0, corrupt: 0, failures: 0, remaining: 0, complete: true, unwraps: 600, throttled: 0 });
    expect(r.ops('KeyWrap')).toBe(0);
    expect(r.ops('KeyUnwrap')).toBe(600);
    // One GET per version for the wrapper's life: v1 while seeding, v2 in the campaign (v1's was cached).
    expect(r.ops('KeyGet')).toBe(2);
    await expectInvariants(r, store, v2);
  }, 120_000);

  it('interrupted after ~100 DEKs and run again: completes with the same invariants', async () => {
    const { rig: r, v1, v2, store } = await rotated(300);
    const ac = new AbortController();
    const first = await campaign(r, store, v1, v2, { signal: ac.signal, onProgress: (p) => p.rewrapped >= 100 && ac.abort() });
    expect(first).toMatchObject({ stopReason: 'aborted', complete: false, failures: 0 });
    expect(first.rewrapped).toBeGreaterThanOrEqual(100);
    expect(first.rewrapped).toBeLessThan(300);
    // The store alone is the state: the rows written so far are on v2, the rest still on v1.
    const counts = await r.store.countByKid();
    expect((counts.get(v1) ?? 0) + (counts.get(v2) ?? 0)).toBe(300);
    expect(counts.get(v2)).toBe(first.rewrapped);

    const second = await campaign(r, store, v1, v2, { fromKid: undefined as never, fromVersion: parseVersionedKid(v1)?.version ?? '' });
    expect(second).toMatchObject({ complete: true, remaining: 0, failures: 0, alreadyDone: first.rewrapped, rewrapped: 300 - first.rewrapped });
    await expectInvariants(r, store, v2);
  }, 120_000);

  it('a deliberately tight vault limit: 429s are honoured (Retry-After), the campaign completes with no failures', async () => {
    // The vault admits 100 units/s; the campaign is told it may spend 300: the vault says no, often.
    const { rig: r, v1, v2, store } = await rotated(120, { windowMs: 1000, rsa2048: 100 });
    const s = await campaign(r, store, v1, v2, { vaultBudgetPerSec: 300, concurrency: 8 });
    expect(r.throttled()).toBeGreaterThan(0);
    expect(s.throttled).toBeGreaterThan(0);
    expect(s).toMatchObject({ rewrapped: 120, failures: 0, complete: true, remaining: 0 });
    await expectInvariants(r, store, v2);
  }, 120_000);

  it('the retirement gate refuses to disable v1 while DEKs remain, and allows it after (members on v2, retention passed)', async () => {
    const { rig: r, v1, v2, store } = await rotated(40);
    const version = { vault: VAULT, key: KEY, version: parseVersionedKid(v1)?.version ?? '' };
    const member = '/subscriptions/s/resourcegroups/rg/providers/microsoft.documentdb/databaseaccounts/cosmos-orders';
    const protector: Protector = {
      id: 'orders-envelope',
      kind: 'cosmos-cmk',
      keyName: KEY,
      members: [{ role: 'primary', resourceId: member, vault: VAULT, principalId: null }],
      autohealWindow: 30 * 60_000,
      inaccessibleAfter: 10 * 60_000,
      backupRetention: 7 * DAY,
      rotation: null,
      alwaysEncrypted: null,
    };
    const now = Date.now();
    const usage: ProtectorUsage = {
      memberCurrentVersions: async () => [{ member, vault: VAULT, version: parseVersionedKid(v2)?.version ?? null }],
      stoppedBeingCurrentAt: async () => now - 8 * DAY,
    };
    const deps = { usage, deks: r.store, keyAdmin: r.admin, logger: silentLogger };

    expect(await disableOldVersion(deps, { protector, version, now })).toEqual({ disabled: false, version, blockers: [{ code: 'deks_wrapped', count: 40 }] });
    expect((await campaign(r, store, v1, v2)).complete).toBe(true);
    expect(await disableOldVersion(deps, { protector, version, now })).toEqual({ disabled: true, version });

    // v1 is really disabled in the vault: unwrap under it is refused; v2 keeps working.
    await expect(r.wrapper.unwrap(v1, 'RSA-OAEP-256', Buffer.alloc(256))).rejects.toMatchObject({ kind: 'denied', status: 403 });
    expect(await unopenable(r, v2)).toEqual([]);
  }, 120_000);
});
