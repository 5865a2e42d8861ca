// A failover end to end through app/ with fakes: the failover's activity-log records (the real Event Hubs shape) are
// ingested as a batch; ingestion hands the succeeded operation to the scheduler and returns without waiting for Azure;
// the debounced targeted run re-discovers the group and stores the overlay; the next rotation plan switches the new
// secondary (the old primary) first — without a restart — and the protector's findings name the drift of the file.
import { describe, expect, it } from 'vitest';
import { ingestMessages } from '../../../app/ingestion.js';
import { describeProtector } from '../../../app/queries.js';
import { startRotation, type StartDeps } from '../../../app/rotation/start.js';
import { MemoryRotationLedger } from '../../../app/rotation/memoryLedger.js';
import { FakeClaimClock } from '../../../app/fakes/fakeClaimClock.js';
import { MemoryDiscoveryStore } from '../../../app/fakes/memoryDiscoveryStore.js';
import type { EstateSource } from '../../../app/estateSource.js';
import { silentLogger } from '../../../adapters/logging/logger.js';
import type { InventoryVersion } from '../../../domain/estate/model.js';
import type { RotationPlan } from '../../../domain/rotation/plan.js';
import { armRecords, failoverGroupFailover } from '../../support/armRecords.js';
import { harness, message } from '../../support/appHarness.js';
import { driftEstate, ORDERS, SUB_A, SUB_B } from './estate.js';
import { discoveryInstance, FakeAzure, gate } from './support.js';

const START = '2026-12-06T03:00:00Z';
const version = (n: number): InventoryVersion => ({ version: String(n).repeat(32).slice(0, 32), thumbprint: 'tp', enabled: true, exp: null, nbf: null, created: 1, kty: 'RSA', size: 2048, tags: {} });

function startDeps(estates: EstateSource, state: StartDeps['state'], clock: { now: () => number }): StartDeps {
  return {
    estates,
    state,
    clock,
    ledger: new MemoryRotationLedger(),
    keys: { listVersions: async () => [version(1)], importVersion: async () => { throw new Error('dry runs import nothing'); }, rotate: async () => { throw new Error('no'); }, tagVersion: async () => undefined, wrap: async () => '', unwrap: async () => Buffer.alloc(0) },
    protectors: { getProtector: async () => ({ serverKeyName: 'x', kid: null, serverKeyType: 'AzureKeyVault' }), addServerKey: async () => undefined, setProtector: async () => undefined },
    claimClock: new FakeClaimClock(0),
    log: silentLogger,
    vaultUrl: (v) => `https://${v}.vault.azure.net/`,
    queue: { enqueue: async () => undefined },
  };
}

const switchOrder = (plan: RotationPlan): string[] => plan.steps.filter((s) => s.kind === 'switch-protector').map((s) => `${s.role} ${s.member?.slice(s.member.lastIndexOf('/') + 1) ?? ''}`);

async function dryRun(deps: StartDeps): Promise<RotationPlan> {
  const result = await startRotation(deps, 'orders-sql', { requestedBy: 'test', dryRun: true });
  if (result.kind !== 'dry-run') throw new Error(`expected a dry run, got ${result.kind}`);
  return result.plan;
}

describe('failover → activity log → re-discovery → rotation order', () => {
  it('the next plan switches the new secondary first, and ingestion never waited on Azure', async () => {
    const file = driftEstate();
    const h = harness(file, START);
    const azure = new FakeAzure(file);
    const store = new MemoryDiscoveryStore();
    const d = discoveryInstance(file, azure, store, h.deps.clock);
    await d.scheduler.runFull('start-up');
    const deps = { ...h.deps, estates: d.source, onDiscoveryTriggers: (t: Parameters<typeof d.scheduler.notify>[0]) => d.scheduler.notify(t) };
    const plans = startDeps(d.source, h.state, h.deps.clock);
    expect(switchOrder(await dryRun(plans))).toEqual(['secondary sql-orders-wus', 'secondary sql-orders-neu', 'primary sql-orders-eus']);

    // Azure fails the group over to wus; ARM reads are slow from now on.
    azure.options = { primary: { 'orders-sql': ORDERS.wus } };
    const slowArm = gate();
    azure.hold = slowArm.wait;
    const t = Date.parse(START);
    const records = armRecords(failoverGroupFailover({ correlationId: '5f0c1a2b-0000-4000-8000-000000000001', startAt: t + 1_000, endAt: t + 40_000, outcome: 'success', server: ORDERS.wus, group: 'fg-orders-sql' }));
    h.setNow('2026-12-06T03:01:00Z');
    // Start and Accept in one batch (intent: no trigger), Success in the next.
    expect((await ingestMessages(deps, [message({ records: records.slice(0, 2) })])).discoveryTriggers).toBe(0);
    const summary = await ingestMessages(deps, [message({ records: records.slice(2) })]);
    expect(summary).toMatchObject({ records: 1, matched: 1, discoveryTriggers: 1, protectorsChanged: 0 });
    expect(azure.reads).toHaveLength(1); // only the start-up read: the batch returned before any ARM call

    expect(d.timers.fire()).toBe(1);
    slowArm.open();
    await d.scheduler.settled();
    expect(azure.reads.at(-1)).toEqual([SUB_A]);

    expect(switchOrder(await dryRun(plans))).toEqual(['secondary sql-orders-eus', 'secondary sql-orders-neu', 'primary sql-orders-wus']);
    const detail = await describeProtector({ estates: d.source, state: h.state, clock: h.deps.clock, discoveryFindings: (id) => d.source.discoveryView()?.byProtector.get(id) ?? [] }, 'orders-sql');
    expect(detail?.members.map((m) => m.role)).toEqual(['secondary', 'primary', 'secondary']);
    expect(detail?.findingList).toContainEqual(expect.objectContaining({ code: 'estate_topology_drift', protector: 'orders-sql', detail: expect.objectContaining({ change: 'roles_swapped', estatePrimary: ORDERS.eus, discoveredPrimary: ORDERS.wus }) }));
    expect(azure.reads.some((r) => r.includes(SUB_B))).toBe(true);
  });

  it('a failover that failed (Failure record) changes nothing and reads nothing', async () => {
    const file = driftEstate();
    const h = harness(file, START);
    const azure = new FakeAzure(file);
    const d = discoveryInstance(file, azure, new MemoryDiscoveryStore(), h.deps.clock);
    const deps = { ...h.deps, estates: d.source, onDiscoveryTriggers: (t: Parameters<typeof d.scheduler.notify>[0]) => d.scheduler.notify(t) };
    const t = Date.parse(START);
    const records = armRecords(failoverGroupFailover({ correlationId: '5f0c1a2b-0000-4000-8000-000000000002', startAt: t, endAt: t + 5_000, outcome: 'failure', server: ORDERS.wus, group: 'fg-orders-sql' }));
    expect((await ingestMessages(deps, [message({ records })])).discoveryTriggers).toBe(0);
    expect(d.timers.armed.size).toBe(0);
    expect(azure.reads).toEqual([]);
  });
});
