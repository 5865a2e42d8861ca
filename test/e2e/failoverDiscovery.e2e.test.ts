// Failover flips the rotation order without a restart, end to end: the standalone host of the local stack discovers
// its estate from the ARM emulator through the real management SDKs (start-up run); a failover group fails over
// through @azure/arm-sql against the emulator, which writes its activity-log records; the stack's Event Hubs stand-in
// delivers them to ingestion as a batch; the debounced targeted re-discovery stores the overlay; and the next rotation
// plan (POST …/rotations dry run, the Key Vault emulator answering for the vaults) switches the new secondary — the
// old primary — first. Failing back restores the first order.
import { SqlManagementClient } from '@azure/arm-sql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { LocalEmulatorCredential } from '../../adapters/azure/localCredential.js';
import { localPolicies } from '../../adapters/azure/localNetwork.js';
import type { DiscoveryStatus } from '../../app/drift/status.js';
import type { LocalStack } from '../../hosts/local/stack.js';
import { startDiscoveringStack } from '../support/discoveringStack.js';
import { eventually } from '../support/eventually.js';
import { sameOrder, switchOrder } from './planOrder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ESTATE = `${ROOT}demo/service-estate.json`;
const SUBSCRIPTION = '3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f';
const RG = 'rg-demo';
const OPERATOR = { oid: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b', appid: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6c' };

let stack: LocalStack;

beforeAll(async () => {
  stack = await startDiscoveringStack({ estatePath: ESTATE });
}, 90_000);

afterAll(async () => {
  await stack?.close();
});

const discovery = async (): Promise<DiscoveryStatus> => (await (await fetch(`${stack.host.url}/api/discovery`)).json()) as DiscoveryStatus;

function sql(): SqlManagementClient {
  return new SqlManagementClient(new LocalEmulatorCredential(OPERATOR), SUBSCRIPTION, { endpoint: stack.armSql.endpoint, additionalPolicies: localPolicies(), retryOptions: { maxRetries: 0 } });
}

describe('a failover in Azure changes the rotation order without a restart', () => {
  it('failover → activity log → ingestion → re-discovery → the new secondary is switched first; failing back restores it', async () => {
    const first = await eventually(discovery, (d) => d.lastRun !== null, 'the start-up discovery');
    expect(first.lastRun).toMatchObject({ reason: 'start-up', kind: 'full', subscriptions: [SUBSCRIPTION] });
    expect(first.counts?.sqlServers).toBe(3);
    expect(first.overlay?.protectors['orders-sql']?.find((m) => m.role === 'primary')?.resourceId).toMatch(/sql-orders-eus$/);
    expect(first.drift.filter((f) => f.protector === 'orders-sql')).toEqual([]);
    const initial = ['secondary sql-orders-wus', 'secondary sql-orders-neu', 'primary sql-orders-eus'];
    expect(await switchOrder(stack.host.url)).toEqual(initial);

    await sql().failoverGroups.beginFailoverAndWait(RG, 'sql-orders-wus', 'orders-sql');
    const records = stack.armSql.activity().filter((r) => String(r['operationName']).endsWith('FAILOVERGROUPS/FAILOVER/ACTION'));
    expect(records.map((r) => r['resultType'])).toEqual(['Start', 'Success']);
    await stack.flush();

    const flipped = ['secondary sql-orders-eus', 'secondary sql-orders-neu', 'primary sql-orders-wus'];
    await eventually(() => switchOrder(stack.host.url), sameOrder(flipped), 'the plan switching the old primary first');
    const after = await discovery();
    expect(after.lastRun).toMatchObject({ reason: 'activity-log', kind: 'targeted', subscriptions: [SUBSCRIPTION] });
    expect(after.lastRun?.triggers.map((t) => [t.change, t.resourceId.slice(t.resourceId.lastIndexOf('/') + 1)])).toEqual([['failover', 'sql-orders-wus']]);
    expect(after.drift).toContainEqual(expect.objectContaining({ code: 'estate_topology_drift', protector: 'orders-sql', detail: expect.objectContaining({ change: 'roles_swapped' }) }));
    const detail = (await (await fetch(`${stack.host.url}/api/protectors/orders-sql`)).json()) as { members: Array<{ role: string; resourceId: string }> };
    expect(detail.members.map((m) => `${m.role} ${m.resourceId.slice(m.resourceId.lastIndexOf('/') + 1)}`)).toEqual(['secondary sql-orders-eus', 'primary sql-orders-wus', 'secondary sql-orders-neu']);

    await sql().failoverGroups.beginFailoverAndWait(RG, 'sql-orders-eus', 'orders-sql');
    await stack.flush();
    await eventually(() => switchOrder(stack.host.url), sameOrder(initial), 'failing back restoring the first order');
    const back = await discovery();
    expect(back.drift.filter((f) => f.protector === 'orders-sql')).toEqual([]);

    const health = (await (await fetch(`${stack.host.url}/api/health`)).json()) as { dependencies: Record<string, { status: string; metrics?: Record<string, number> }> };
    expect(health.dependencies['discovery']).toMatchObject({ status: 'up', metrics: { consecutiveFailures: 0 } });
  }, 120_000);
});
