// `npm run bench -- --only discover`: estate discovery as `keysteward discover` runs it — the app use case through the
// ARM SDK adapters and the Key Vault key reader composed by hosts/discovery.ts from the local-mode configuration, over
// HTTPS — against the ARM emulator serving a generated estate (≥ 300 SQL servers in geo-groups of 2–5, 50 Cosmos DB
// accounts, 40 vaults, 5 subscriptions) with ARM's own token buckets (250 reads + 25/s per subscription: real 429s
// with Retry-After, which the SDK waits out), and the Key Vault emulator holding the keys. Then the same at twice the
// estate (every size doubled), so `armCallsGrowth` = calls(2×) / calls(1×) shows the count is linear (≈ 2).
//
// The discovered protectors, members, roles, principal ids and vaults must be exactly what the generator made; a
// difference throws (the bench fails loudly) rather than printing a figure for a wrong answer.
// The emulators run on the bench's own event loop: their TLS and request handling is charged to discovery, so
// resourcesPerSec is a lower bound of what the same code does against Azure (whose latency it does not have either).
import { isDeepStrictEqual } from 'node:util';
import { performance } from 'node:perf_hooks';
import { discover } from '../app/discovery/discover.js';
import { ensureDevCertificate } from '../emulators/certs.js';
import { startArmEmulator } from '../emulators/arm/index.js';
import { asExpected, generateTopology, startTopologyKeyVault, type GeneratedTopology, type TopologySizes } from '../emulators/arm/topology/index.js';
import { LOCAL_SERVICE_PRINCIPAL } from '../hosts/composition.js';
import { loadDiscoveryConfig } from '../hosts/config.js';
import { createDiscoveryServices } from '../hosts/discovery.js';
import type { DiscoveredEstate } from '../domain/discovery/topology.js';

export interface DiscoverRun {
  readonly sqlServers: number;
  readonly cosmosAccounts: number;
  readonly vaults: number;
  readonly subscriptions: number;
  readonly protectors: number;
  /** SQL servers (incl. managed instances), Cosmos DB accounts and vaults read. */
  readonly resources: number;
  readonly seconds: number;
  readonly resourcesPerSec: number;
  /** ARM requests the SDK made (each page one), not counting retries after a 429. */
  readonly armCalls: number;
  readonly armSent: number;
  readonly armThrottled: number;
  readonly keyVaultCalls: number;
}

export interface DiscoverBench {
  readonly resourcesPerSec: number;
  readonly armCalls: number;
  readonly keyVaultCalls: number;
  readonly armThrottled: number;
  readonly seconds: number;
  readonly protectors: number;
  readonly resources: number;
  /** The same at twice the estate. */
  readonly double: DiscoverRun;
  /** calls(2×) / calls(1×): ≈ 2 when the ARM call count is linear in the estate. */
  readonly armCallsGrowth: number;
  readonly keyVaultCallsGrowth: number;
}

/** The issue's estate: 300 geo-grouped CMK SQL servers (+ standalone and service-managed ones), 50 Cosmos DB accounts, 40 vaults, 5 subscriptions. */
const BASE: Required<Pick<TopologySizes, 'subscriptions' | 'sqlServers' | 'standaloneServers' | 'serviceManagedServers' | 'managedInstances' | 'cosmosAccounts' | 'serviceManagedCosmosAccounts' | 'vaults' | 'managedHsms'>> = {
  subscriptions: 5,
  sqlServers: 300,
  standaloneServers: 10,
  serviceManagedServers: 10,
  managedInstances: 4,
  cosmosAccounts: 50,
  serviceManagedCosmosAccounts: 5,
  vaults: 40,
  managedHsms: 2,
};

/** The full-size discovery e2e test's seed: at 1× the bench reads the same estate. */
const SEED = 20260302;

function scaled(factor: number): TopologySizes {
  return Object.fromEntries(Object.entries(BASE).map(([k, v]) => [k, v * factor])) as TopologySizes;
}

/** What discovery found, in the generator's terms; differences named, at most a few. */
function differences(found: DiscoveredEstate, t: GeneratedTopology): string[] {
  const out: string[] = [];
  const got = asExpected(found.protectors);
  const want = new Map(t.expected.protectors.map((p) => [p.id, p]));
  const have = new Map(got.map((p) => [p.id, p]));
  for (const id of want.keys()) if (!have.has(id)) out.push(`protector ${id} not discovered`);
  for (const [id, p] of have) {
    const expected = want.get(id);
    if (!expected) out.push(`protector ${id} discovered but not generated`);
    else if (!isDeepStrictEqual(p, expected)) out.push(`protector ${id}: discovered ${JSON.stringify(p)}, generated ${JSON.stringify(expected)}`);
  }
  // ARM leaves `enablePurgeProtection` out until it is turned on (it cannot be turned off): discovery reads unset as null.
  const vaults = new Map(t.expected.vaults.map((v) => [v.name, { ...v, purgeProtection: v.purgeProtection === true ? true : null }]));
  for (const v of found.vaults) if (!isDeepStrictEqual(v, vaults.get(v.name))) out.push(`vault ${v.name}: discovered ${JSON.stringify(v)}, generated ${JSON.stringify(vaults.get(v.name) ?? null)}`);
  if (found.vaults.length !== vaults.size) out.push(`vaults: discovered ${found.vaults.length}, generated ${vaults.size}`);
  if (found.unreadVaults.length > 0) out.push(`vaults not read: ${found.unreadVaults.join(', ')}`);
  const geo = found.findings.filter((f) => f.code.startsWith('geo_'));
  if (geo.length > 0) out.push(`topology findings on a consistent estate: ${geo.map((f) => `${f.code} ${f.resource}`).join(', ')}`);
  return out;
}

async function runOnce(factor: number): Promise<DiscoverRun> {
  const cert = await ensureDevCertificate();
  const tls = { cert: cert.certPem, key: cert.keyPem };
  const sizes = scaled(factor);
  process.stderr.write(`bench: discover ${factor}× — generating and seeding ${sizes.sqlServers} + ${(sizes.standaloneServers ?? 0) + (sizes.serviceManagedServers ?? 0)} SQL servers, ${sizes.cosmosAccounts} Cosmos DB accounts, ${sizes.vaults} vaults, ${sizes.subscriptions} subscriptions…\n`);
  // Discovery's identity may read keys and rotation policies, nothing cryptographic: what the README asks for.
  const { keyVault, topology } = await startTopologyKeyVault(generateTopology({ seed: SEED, ...sizes }), {
    tls,
    grants: [{ principalId: LOCAL_SERVICE_PRINCIPAL.oid, permissions: ['get', 'getrotationpolicy'] }],
  });
  // No `throttling`: the emulator's defaults are ARM's token buckets.
  const arm = await startArmEmulator({ ...topology.arm, tls });
  try {
    // The configuration `keysteward discover` reads in local mode (the CLI's composition, hosts/discovery.ts).
    const services = createDiscoveryServices(loadDiscoveryConfig({ ...process.env, KEYSTEWARD_MODE: 'local', ARM_ENDPOINT: arm.endpoint }));
    const started = performance.now();
    const result = await discover({ arm: services.arm, keys: services.keys, concurrency: { subscriptions: 4, resources: 16 } });
    const seconds = (performance.now() - started) / 1000;
    const wrong = differences(result.estate, topology);
    if (wrong.length > 0) throw new Error(`discover found another estate than the generator made (${wrong.length} differences):\n  ${wrong.slice(0, 10).join('\n  ')}`);
    const { facts } = result;
    const resources = facts.sqlServers.length + facts.cosmosAccounts.length + facts.vaults.length;
    const run: DiscoverRun = {
      sqlServers: topology.arm.servers?.length ?? 0,
      cosmosAccounts: topology.arm.cosmosAccounts?.length ?? 0,
      vaults: topology.arm.vaults?.length ?? 0,
      subscriptions: topology.expected.subscriptions.length,
      protectors: result.estate.protectors.length,
      resources,
      seconds: Math.round(seconds * 100) / 100,
      resourcesPerSec: Math.round(resources / seconds),
      armCalls: services.armRequests.calls,
      armSent: services.armRequests.sent,
      armThrottled: services.armRequests.throttled,
      keyVaultCalls: services.keyVaultRequests.calls,
    };
    process.stderr.write(`bench: discover ${factor}× — ${run.protectors} protectors as generated, ${run.armCalls} ARM calls (${run.armThrottled} answered 429), ${run.keyVaultCalls} Key Vault calls, ${run.seconds} s\n`);
    return run;
  } finally {
    await arm.close();
    await keyVault.close();
  }
}

export async function benchDiscover(): Promise<DiscoverBench> {
  const one = await runOnce(1);
  const two = await runOnce(2);
  const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
  // Twice the estate must cost about twice the calls (pages and the per-subscription listings make it not exactly 2);
  // a per-pair read (quadratic) would give ~4. Fail loudly rather than print a figure that hides it.
  if (two.armCalls > 2.5 * one.armCalls) throw new Error(`discover: ARM calls grew ${ratio(two.armCalls, one.armCalls)}× for 2× the estate (${one.armCalls} → ${two.armCalls}): not linear`);
  return {
    resourcesPerSec: one.resourcesPerSec,
    armCalls: one.armCalls,
    keyVaultCalls: one.keyVaultCalls,
    armThrottled: one.armThrottled,
    seconds: one.seconds,
    protectors: one.protectors,
    resources: one.resources,
    double: two,
    armCallsGrowth: ratio(two.armCalls, one.armCalls),
    keyVaultCallsGrowth: ratio(two.keyVaultCalls, one.keyVaultCalls),
  };
}
