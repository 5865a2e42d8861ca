// disableOldVersion (DESIGN.md §4.5, reliability.md K-1) over fakes: refused as a value while a member, a DEK or
// a backup still needs the version; disabled through KeyAdmin only when nothing does. (Its test lives beside the
// rewrap tests: the two use cases share the DEK store.)
import { describe, expect, it } from 'vitest';
import { disableOldVersion, dekCountsByVersion } from '../../../app/retirement/disableVersion.js';
import type { KeyAdmin, ProtectorUsage } from '../../../app/retirement/ports.js';
import { MemoryDekStore } from '../../../app/rewrap/memoryDekStore.js';
import { silentLogger } from '../../../adapters/logging/logger.js';
import type { Protector } from '../../../domain/estate/model.js';
import type { MemberCurrentVersion } from '../../../domain/retirement/gate.js';
import { DAY } from '../../../domain/time.js';
import { kid, V1, V2 } from './support.js';
import { MemoryCekCatalog } from '../../../app/rewrap/memoryCekCatalog.js';
import type { CekCatalogs } from '../../../app/rewrap/cekPorts.js';

const NOW = 1_800_000_000_000;
const PRIMARY = '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-a';
const protector: Protector = {
  id: 'orders',
  kind: 'cosmos-cmk',
  keyName: 'dek-kek',
  members: [{ role: 'primary', resourceId: PRIMARY, vault: 'kv-a', principalId: null }],
  autohealWindow: 30 * 60_000,
  inaccessibleAfter: 10 * 60_000,
  backupRetention: 7 * DAY,
  rotation: null,
  alwaysEncrypted: null,
};
const VERSION = { vault: 'kv-a', key: 'dek-kek', version: V1 };

function fakes(current: MemberCurrentVersion[], stoppedAt: number | null) {
  const disabled: string[] = [];
  const keyAdmin: KeyAdmin = { updateKeyProperties: async (vault, key, version, patch) => void disabled.push(`${vault}/${key}/${version}:${patch.enabled}`) };
  const usage: ProtectorUsage = { memberCurrentVersions: async () => current, stoppedBeingCurrentAt: async () => stoppedAt };
  return { disabled, keyAdmin, usage };
}

async function storeWith(onV1: number): Promise<MemoryDekStore> {
  const store = new MemoryDekStore();
  const fp = 'A'.repeat(43);
  for (let i = 0; i < onV1; i++) await store.insert({ id: `a${i}`, kid: kid(V1), alg: 'RSA-OAEP-256', wrapped: 'AAAA', fingerprint: fp });
  await store.insert({ id: 'b', kid: kid(V2), alg: 'RSA-OAEP-256', wrapped: 'AAAA', fingerprint: fp });
  // The same vault under another host name (e.g. a private endpoint): still this version.
  if (onV1 > 0) await store.insert({ id: 'c', kid: `https://kv-a.privatelink.vaultcore.azure.net/keys/dek-kek/${V1}`, alg: 'RSA-OAEP-256', wrapped: 'AAAA', fingerprint: fp });
  return store;
}

describe('disableOldVersion', () => {
  it('refuses with every blocker, as a value, and disables nothing', async () => {
    const f = fakes([{ member: PRIMARY, vault: 'kv-a', version: V1 }], null);
    const r = await disableOldVersion({ ...f, deks: await storeWith(2), logger: silentLogger }, { protector, version: VERSION, now: NOW });
    expect(r).toEqual({
      disabled: false,
      version: VERSION,
      blockers: [
        { code: 'in_use_by_member', member: PRIMARY },
        { code: 'deks_wrapped', count: 3 },
      ],
    });
    expect(f.disabled).toEqual([]);
  });

  it('refuses while a backup is in retention, then disables once it has passed', async () => {
    const onV2 = [{ member: PRIMARY, vault: 'kv-a', version: V2 }];
    const early = fakes(onV2, NOW - 2 * DAY);
    const refused = await disableOldVersion({ ...early, deks: await storeWith(0), logger: silentLogger }, { protector, version: VERSION, now: NOW });
    expect(refused).toMatchObject({ disabled: false, blockers: [{ code: 'backup_retention', until: new Date(NOW + 5 * DAY).toISOString() }] });

    const late = fakes(onV2, NOW - 8 * DAY);
    const done = await disableOldVersion({ ...late, deks: await storeWith(0), logger: silentLogger }, { protector, version: { ...VERSION, version: V1.toUpperCase() }, now: NOW });
    expect(done).toEqual({ disabled: true, version: VERSION });
    expect(late.disabled).toEqual([`kv-a/dek-kek/${V1}:false`]);
  });

  it('refuses a version of another key as a caller error', async () => {
    const f = fakes([], NOW - 30 * DAY);
    await expect(disableOldVersion({ ...f, deks: new MemoryDekStore(), logger: silentLogger }, { protector, version: { ...VERSION, key: 'other' }, now: NOW })).rejects.toThrow(RangeError);
  });

  it('cosmos-always-encrypted: counts the client encryption keys of its databases, and refuses when it cannot', async () => {
    const ae: Protector = { ...protector, kind: 'cosmos-always-encrypted', alwaysEncrypted: { endpoint: 'https://acct.documents.azure.com/', databases: ['orders', 'billing'], keySetting: null } };
    const catalog = new MemoryCekCatalog(2);
    for (const [db, id, version] of [['orders', 'a', V1], ['orders', 'b', V1], ['orders', 'c', V2], ['billing', 'd', V1]] as const) catalog.seed(db, id, kid(version), new Uint8Array([1]));
    const ceks: CekCatalogs = { open: () => catalog, close: () => undefined };
    const onV2 = [{ member: PRIMARY, vault: 'kv-a', version: V2 }];

    const f = fakes(onV2, NOW - 30 * DAY);
    const counted = await disableOldVersion({ ...f, deks: await storeWith(0), logger: silentLogger, ceks }, { protector: ae, version: VERSION, now: NOW });
    expect(counted).toMatchObject({ disabled: false, blockers: [{ code: 'deks_wrapped', count: 3 }] });

    const unknown = await disableOldVersion({ ...f, deks: await storeWith(0), logger: silentLogger }, { protector: ae, version: VERSION, now: NOW });
    expect(unknown).toMatchObject({ disabled: false, blockers: [{ code: 'deks_unknown', reason: 'this host cannot read Cosmos client encryption keys' }] });
    const unnamed = await disableOldVersion({ ...f, deks: await storeWith(0), logger: silentLogger, ceks }, { protector: { ...ae, alwaysEncrypted: null }, version: VERSION, now: NOW });
    expect(unnamed).toMatchObject({ disabled: false, blockers: [{ code: 'deks_unknown' }] });
    expect(f.disabled).toEqual([]);

    // A database the estate does not list still counts; a CEK naming the key without a version blocks any version.
    catalog.seed('refunds', 'late', kid(V1), new Uint8Array([1]));
    const withLate = await disableOldVersion({ ...f, deks: await storeWith(0), logger: silentLogger, ceks }, { protector: ae, version: VERSION, now: NOW });
    expect(withLate).toMatchObject({ disabled: false, blockers: [{ code: 'deks_wrapped', count: 4 }] });
    const floating = new MemoryCekCatalog();
    floating.seed('orders', 'a', kid(V2), new Uint8Array([1]));
    floating.seed('orders', 'f', 'https://kv-a.vault.azure.net/keys/dek-kek', new Uint8Array([1]));
    const refusedFloating = await disableOldVersion({ ...f, deks: await storeWith(0), logger: silentLogger, ceks: { open: () => floating, close: () => undefined } }, { protector: ae, version: VERSION, now: NOW });
    expect(refusedFloating).toMatchObject({ disabled: false, blockers: [{ code: 'deks_unknown', reason: '1 client encryption key(s) name kv-a/dek-kek without a version' }] });

    // Once every CEK is on v2 the version may go.
    const clean = new MemoryCekCatalog();
    clean.seed('orders', 'a', kid(V2), new Uint8Array([1]));
    const done = await disableOldVersion({ ...f, deks: await storeWith(0), logger: silentLogger, ceks: { open: () => clean, close: () => undefined } }, { protector: ae, version: VERSION, now: NOW });
    expect(done).toEqual({ disabled: true, version: VERSION });
  });

  it('counts DEKs by vault/key/version whatever host name their kid carries', async () => {
    expect((await dekCountsByVersion(await storeWith(2))).counts).toEqual(new Map([[`kv-a/dek-kek/${V1}`, 3], [`kv-a/dek-kek/${V2}`, 1]]));
  });
});
