// Two instances of the standalone host share one discovery record in Table Storage (Azurite): instance A ingests a
// failover's activity-log records as an Event Hubs batch and re-discovers (Azure read through a fake discovery port);
// instance B reads no Azure at all and picks the new overlay up at its next poll. Both then plan the rotation with the
// new secondary first, show the same estate version on GET /api/discovery, and report discovery in their health.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadEstateFile } from '../../adapters/files/estateFile.js';
import { silentLogger } from '../../adapters/logging/logger.js';
import type { DiscoveryStatus } from '../../app/drift/status.js';
import { startLocalStack, type LocalStack } from '../../hosts/local/stack.js';
import { serve, type RunningHost } from '../../hosts/standalone/serve.js';
import { armRecords, failoverGroupFailover } from '../support/armRecords.js';
import { FakeAzure } from '../app/drift/support.js';
import { eventually } from '../support/eventually.js';
import { sameOrder, switchOrder } from './planOrder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ESTATE = `${ROOT}demo/service-estate.json`;

let stack: LocalStack;
let b: RunningHost;
let azure: FakeAzure;
let wus = '';
const API_KEY = 'discovery-test-api-key-0123456789';
/** Requests to B carry its API key (A has none configured). */
const keyed = (url: string): Record<string, string> => (url === b.url ? { 'x-api-key': API_KEY } : {});
let eus = '';

beforeAll(async () => {
  const estate = await loadEstateFile(ESTATE);
  const orders = estate.protectors.find((p) => p.id === 'orders-sql');
  eus = orders?.members.find((m) => m.role === 'primary')?.resourceId ?? '';
  wus = orders?.members.find((m) => m.resourceId.endsWith('sql-orders-wus'))?.resourceId ?? '';
  azure = new FakeAzure(estate);
  const env = { DISCOVERY_POLL_SECONDS: '1', DISCOVERY_DEBOUNCE_SECONDS: '1', ROTATION_WORKER: 'false' };
  stack = await startLocalStack({ estatePath: ESTATE, port: 0, log: silentLogger, trafficEveryMs: 0, timers: false, feedIntervalMs: 60_000, env, discovery: azure });
  // The second instance: same storage, Redis namespace and vaults; no discovery of its own (a host without ARM access).
  // B requires an API key on its read routes, GET /api/discovery included.
  b = await serve({ ...stack.config, PORT: 0, API_KEY }, { log: silentLogger, timers: false, discovery: null, rotationWorker: false });
}, 90_000);

afterAll(async () => {
  await b?.close();
  await stack?.close();
});

const discovery = async (url: string): Promise<DiscoveryStatus> => (await (await fetch(`${url}/api/discovery`, { headers: keyed(url) })).json()) as DiscoveryStatus;

describe('two instances converge on the discovered overlay', () => {
  it('a failover ingested on one instance flips the rotation order on both', async () => {
    await eventually(() => discovery(stack.host.url), (d) => d.lastRun !== null, 'the start-up discovery run');
    const versionA = (await discovery(stack.host.url)).estateVersion;
    await eventually(() => discovery(b.url), (d) => d.estateVersion === versionA, 'B applying the start-up record');
    const before = ['secondary sql-orders-wus', 'secondary sql-orders-neu', 'primary sql-orders-eus'];
    expect(await switchOrder(stack.host.url)).toEqual(before);
    expect(await switchOrder(b.url, 'orders-sql', keyed(b.url))).toEqual(before);

    azure.options = { primary: { 'orders-sql': wus } };
    // The failover succeeds now: after the start-up read (an operation older than the last read is known to it).
    const now = Date.now();
    const records = armRecords(failoverGroupFailover({ correlationId: '7a0c1a2b-0000-4000-8000-000000000001', startAt: now - 30_000, endAt: now, outcome: 'success', server: wus, group: 'fg-orders' }));
    const summary = await stack.host.services.ingest([{ body: { records }, partitionId: '0', offset: '1', sequenceNumber: 1 }]);
    expect(summary.discoveryTriggers).toBe(1);

    const after = ['secondary sql-orders-eus', 'secondary sql-orders-neu', 'primary sql-orders-wus'];
    await eventually(() => switchOrder(stack.host.url), sameOrder(after), 'A planning the new order');
    await eventually(() => switchOrder(b.url, 'orders-sql', keyed(b.url)), sameOrder(after), 'B planning the new order');

    const [da, db] = [await discovery(stack.host.url), await discovery(b.url)];
    expect(db.estateVersion).toBe(da.estateVersion);
    expect(da.lastRun).toMatchObject({ reason: 'activity-log', kind: 'targeted', triggerCount: 1 });
    expect(da.drift).toContainEqual(expect.objectContaining({ code: 'estate_topology_drift', protector: 'orders-sql', detail: expect.objectContaining({ change: 'roles_swapped', estatePrimary: eus, discoveredPrimary: wus }) }));
    expect(db.overlay).toEqual(da.overlay);

    expect((await fetch(`${b.url}/api/discovery`)).status).toBe(401);
    const detail = (await (await fetch(`${b.url}/api/protectors/orders-sql`, { headers: keyed(b.url) })).json()) as { members: Array<{ role: string }>; findingList: Array<{ code: string }> };
    expect(detail.members.map((m) => m.role)).toEqual(['secondary', 'primary', 'secondary']);
    expect(detail.findingList.map((f) => f.code)).toContain('estate_topology_drift');

    const health = (await (await fetch(`${b.url}/api/health`)).json()) as { dependencies: Record<string, { status: string; detail?: string }> };
    expect(health.dependencies['discovery']?.status).toBe('up');
    expect(health.dependencies['discovery']?.detail).toContain('does not read Azure');
  }, 120_000);
});
