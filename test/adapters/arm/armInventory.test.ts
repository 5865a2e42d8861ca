// The ARM adapters (adapters/arm) through the real SDKs against the ARM emulator's hand-made estate: SDK shapes become
// the facts discovery needs (identities, database-level CMK, tiers, vault access model and firewall, Managed HSMs,
// Always Encrypted keys without their wrapped values), a 429 is waited out for as long as Retry-After says and the
// read comes back whole, retries that run out are a gap, and a credential that yields no token stops the run.
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../../app/discovery/discover.js';
import { MemoryArmInventory } from '../../../app/discovery/memoryInventory.js';
import type { ArmInventory, SqlServerListing } from '../../../app/discovery/ports.js';
import { ArmCredentialError, createArmInventory, RequestCounter } from '../../../adapters/arm/index.js';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import type { ArmEmulator } from '../../../emulators/arm/index.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import { LOCAL_SERVICE_PRINCIPAL } from '../../../hosts/composition.js';
import { sdkPolicies } from '../../emulators/armsql/support.js';
import { A1, COSMOS_UAI, MI, PRINCIPALS, SUB_A, SUB_B, UAI, cosmosId, devCert, kid, startSmallEstate } from '../../emulators/arm/support.js';

let cert: DevCertificate;
let em: ArmEmulator | undefined;
beforeAll(async () => {
  cert = await devCert();
});
afterEach(async () => {
  await em?.close();
  em = undefined;
});

const inventory = (e: ArmEmulator, o: { counter?: RequestCounter; maxRetries?: number; policies?: Array<{ policy: PipelinePolicy; position: 'perCall' | 'perRetry' }> } = {}): ArmInventory =>
  createArmInventory({
    credential: new LocalEmulatorCredential(LOCAL_SERVICE_PRINCIPAL),
    endpoint: e.endpoint,
    additionalPolicies: [...sdkPolicies(cert), ...(o.policies ?? [])],
    ...(o.counter ? { counter: o.counter } : {}),
    ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}),
  });

const value = <T>(r: { ok: true; value: T } | { ok: false; reason: string }): T => {
  if (!r.ok) throw new Error(`read refused: ${r.reason}`);
  return r.value;
};

/** Every read discovery makes of the estate, as much at once as can be (no Key Vault data plane: keyFactsReader's). */
async function readAll(arm: ArmInventory): Promise<unknown> {
  const subs = value(await arm.subscriptions());
  const perSub = await Promise.all(
    subs.map(async (sub) => {
      const [servers, instances, cosmos, vaults, hsms] = await Promise.all([arm.sqlServers(sub), arm.managedInstances(sub), arm.cosmosAccounts(sub), arm.vaults(sub), arm.managedHsms(sub)]);
      const all: SqlServerListing[] = [...value(servers), ...value(instances)];
      return {
        sub,
        servers: await Promise.all(
          all.map(async (s) => {
            const [protector, groups, links, databases] = await Promise.all([
              arm.encryptionProtector(s),
              s.kind === 'server' ? arm.failoverGroupLinks(s) : null,
              s.kind === 'server' ? arm.replicationLinks(s) : null,
              s.kind === 'server' ? arm.databases(s) : null,
            ]);
            return { s, protector: value(protector), groups: groups && value(groups), links: links && value(links), databases: databases && value(databases) };
          }),
        ),
        cosmos: await Promise.all(value(cosmos).map(async (a) => ({ a, keys: value(await arm.clientEncryptionKeys(a)) }))),
        vaults: value(vaults),
        hsms: value(hsms),
      };
    }),
  );
  return { subs, perSub };
}

describe('SDK shapes become discovery facts', () => {
  it('servers, managed instances, Cosmos DB accounts and vaults of the emulator’s estate', async () => {
    em = await startSmallEstate(cert, { pageSize: 1 });
    const arm = inventory(em);
    expect(value(await arm.subscriptions())).toEqual([SUB_A, SUB_B]);
    const [a1, a2] = value(await arm.sqlServers(SUB_A));
    const [a3, solo] = value(await arm.sqlServers(SUB_B));
    expect(a1).toMatchObject({ id: A1.toLowerCase(), kind: 'server', name: 'sql-a1', subscriptionId: SUB_A, location: 'eastus', resourceGroup: 'rg-data', skuTier: null, primaryUserAssignedIdentityId: null });
    expect(a1?.identity).toEqual({ type: 'SystemAssigned', systemPrincipalId: PRINCIPALS.a1, userAssigned: new Map() });
    expect(a3?.identity).toEqual({ type: 'SystemAssigned,UserAssigned', systemPrincipalId: PRINCIPALS.a3System, userAssigned: new Map([[UAI.toLowerCase(), PRINCIPALS.a3User]]) });
    expect(a3?.primaryUserAssignedIdentityId).toBe(UAI.toLowerCase());

    expect(value(await arm.encryptionProtector(a3 as SqlServerListing))).toEqual({ keyUri: kid('kv-neu', 'tde'), autoRotation: true, serverKeyName: 'kv-neu_tde_0a9b8c7d6e5f40312233445566778899' });
    expect(value(await arm.encryptionProtector(solo as SqlServerListing))).toBeNull();
    // sql-a1: two geo databases and one with its own (database-level) CMK; master is not counted.
    expect(value(await arm.databases(a1 as SqlServerListing))).toEqual({ byTier: { GeneralPurpose: 2, BusinessCritical: 1 }, withOwnCmk: ['scratch'] });
    expect(value(await arm.failoverGroupLinks(a2 as SqlServerListing))).toEqual([{ partner: A1.toLowerCase(), role: 'secondary', partnerRole: 'primary', via: 'failover-group:fg-orders' }]);
    const links = value(await arm.replicationLinks(a1 as SqlServerListing));
    expect(links.map((l) => `${l.database} ${l.partnerServer} ${l.role}→${l.partnerRole}`).sort()).toEqual([
      'ledger sql-a2 primary→secondary',
      'ledger sql-a3 primary→secondary',
      'orders sql-a2 primary→secondary',
      'orders sql-a3 primary→secondary',
    ]);

    const [mi] = value(await arm.managedInstances(SUB_A));
    expect(mi).toMatchObject({ id: MI.toLowerCase(), kind: 'managed-instance', name: 'mi-1' });
    expect(value(await arm.encryptionProtector(mi as SqlServerListing))).toMatchObject({ keyUri: kid('kv-eus', 'mi-tde') });

    const [orders] = value(await arm.cosmosAccounts(SUB_A));
    expect(orders).toMatchObject({
      id: cosmosId(SUB_A, 'cosmos-orders').toLowerCase(),
      keyVaultKeyUri: 'https://kv-eus.vault.azure.net/keys/cmk-cosmos-orders',
      defaultIdentity: `UserAssignedIdentity=${COSMOS_UAI}`,
      documentEndpoint: 'https://cosmos-orders.documents.azure.com:443/',
      sqlApi: true,
    });
    expect(orders?.identity.userAssigned.get(COSMOS_UAI.toLowerCase())).toBe(PRINCIPALS.cosmos);
    const keys = value(await arm.clientEncryptionKeys(orders as NonNullable<typeof orders>));
    expect(keys).toEqual([{ database: 'app', id: 'cek-1', keyUri: kid('kv-wus', 'ae-orders') }]);

    const vaults = value(await arm.vaults(SUB_A));
    expect(vaults.map((v) => [v.name, v.rbac, v.purgeProtection, v.softDeleteRetentionDays, v.networkAcls?.defaultAction, v.managedHsm])).toEqual([
      ['kv-eus', true, true, 90, 'Allow', false],
      ['kv-wus', false, null, 7, 'Deny', false],
    ]);
    expect(value(await arm.managedHsms(SUB_B))).toEqual([expect.objectContaining({ name: 'hsm-1', managedHsm: true, rbac: true, purgeProtection: true, uri: 'https://hsm-1.managedhsm.azure.net/' })]);
  });

  it('the listing of client encryption keys carries each wrapped DEK; none reaches the facts', async () => {
    em = await startSmallEstate(cert);
    const seen: string[] = [];
    const spy: PipelinePolicy = { name: 'bodySpy', sendRequest: async (req, next) => {
      const res = await next(req);
      if (req.url.includes('/clientEncryptionKeys')) seen.push(res.bodyAsText ?? '');
      return res;
    } };
    const arm = inventory(em, { policies: [{ policy: spy, position: 'perCall' }] });
    const [orders] = value(await arm.cosmosAccounts(SUB_A));
    const keys = value(await arm.clientEncryptionKeys(orders as NonNullable<typeof orders>));
    const wrapped = seen.flatMap((body) => [...body.matchAll(/"wrappedDataEncryptionKey":"([^"]+)"/g)].map((m) => m[1] as string));
    expect(wrapped.length).toBeGreaterThan(0);
    for (const w of wrapped) expect(JSON.stringify(keys)).not.toContain(w);
    expect(Object.keys(keys[0] ?? {}).sort()).toEqual(['database', 'id', 'keyUri']);
  });
});

describe('throttling', () => {
  it('every fifth read answered 429 with Retry-After 1: the SDK waits that long before each retry, and every read comes back whole', async () => {
    em = await startSmallEstate(cert, { pageSize: 1 });
    const whole = await readAll(inventory(em));
    em.resetCalls();
    em.setThrottling({ rejectEveryNthRead: 5, retryAfterSeconds: 1 });
    const counter = new RequestCounter();
    // When each attempt of each request left, and whether it was answered 429.
    const attempts = new Map<object, Array<{ at: number; status: number }>>();
    const timing: PipelinePolicy = {
      name: 'attemptTimes',
      sendRequest: async (req, next) => {
        const at = performance.now();
        const res = await next(req);
        attempts.set(req, [...(attempts.get(req) ?? []), { at, status: res.status }]);
        return res;
      },
    };
    expect(await readAll(inventory(em, { counter, policies: [{ policy: timing, position: 'perRetry' }] }))).toEqual(whole);
    const calls = em.calls();
    expect(calls.throttled).toBeGreaterThanOrEqual(3);
    expect(counter).toMatchObject({ sent: calls.total, throttled: calls.throttled, calls: calls.total - calls.throttled });
    // Retry-After is honoured: a retry never leaves before the second the 429 asked for (a lower bound, not a speed).
    const retried = [...attempts.values()].filter((a) => a.length > 1);
    expect(retried.flatMap((a) => a.filter((x) => x.status === 429)).length).toBe(calls.throttled);
    for (const a of retried) for (let i = 1; i < a.length; i++) if (a[i - 1]?.status === 429) expect((a[i]?.at ?? 0) - (a[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(995);
  });

  it('retries that run out are a gap naming the 429, and discovery goes on', async () => {
    em = await startSmallEstate(cert, { throttling: { rejectEveryNthRead: 1, retryAfterSeconds: 0 } });
    const arm = inventory(em, { maxRetries: 1 });
    const read = await arm.sqlServers(SUB_A);
    expect(read).toEqual({ ok: false, reason: expect.stringMatching(/^429 SubscriptionRequestsThrottled — /) });
    const memory = new MemoryArmInventory({ subscriptions: [], keys: [] });
    const { facts } = await discover({ arm, keys: memory }, { subscriptions: [SUB_A] });
    expect(facts.gaps.map((g) => g.reason.split(' — ')[0])).toEqual(['429 SubscriptionRequestsThrottled', '429 SubscriptionRequestsThrottled', '429 SubscriptionRequestsThrottled', '429 SubscriptionRequestsThrottled', '429 SubscriptionRequestsThrottled']);
  });
});

describe('credentials', () => {
  it('no token for ARM at all stops the run with one error, not a gap per read', async () => {
    em = await startSmallEstate(cert);
    const failing = {
      getToken: async (): Promise<never> => {
        const e = new Error('DefaultAzureCredential failed to retrieve a token from the included credentials.');
        e.name = 'CredentialUnavailableError';
        throw e;
      },
    };
    const arm = createArmInventory({ credential: failing, endpoint: em.endpoint, additionalPolicies: sdkPolicies(cert), maxRetries: 0 });
    await expect(arm.sqlServers(SUB_A)).rejects.toThrow(ArmCredentialError);
    await expect(discover({ arm, keys: new MemoryArmInventory({ subscriptions: [], keys: [] }) })).rejects.toThrow(/^cannot get a token for Azure Resource Manager: DefaultAzureCredential failed/);
  });
});
