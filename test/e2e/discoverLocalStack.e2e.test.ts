// `npm start`'s estate is built by discovery, end to end: the local stack as `npm start` composes it (the demo's Azure
// in the ARM, Key Vault and Cosmos emulators; discovery through the real management SDKs merged with
// demo/estate-overrides.yaml) must yield exactly the demo estate — ids, members, roles, vaults, principal ids and the
// hand-edited fields — with nothing left unread; the host's own discovery of it must find no drift; the
// `keysteward discover` command the start-up prints must reproduce the same estate; and the failover request it prints
// must flip the roles the service uses.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../adapters/files/estateFile.js';
import type { DiscoveryStatus } from '../../app/drift/status.js';
import type { Estate } from '../../domain/estate/model.js';
import { failoverRequest } from '../../hosts/local/failover.js';
import type { LocalStack } from '../../hosts/local/stack.js';
import { startDiscoveringStack } from '../support/discoveringStack.js';
import { keystewardAsync, ROOT } from '../support/cli.js';
import { eventually } from '../support/eventually.js';
import { sameOrder, switchOrder } from './planOrder.js';

const DEMO = `${ROOT}demo/service-estate.json`;
const OVERRIDES = `${ROOT}demo/estate-overrides.yaml`;

let stack: LocalStack;

beforeAll(async () => {
  stack = await startDiscoveringStack({ estatePath: DEMO, overridesPath: OVERRIDES });
}, 90_000);

afterAll(async () => {
  await stack?.close();
});

/** The demo estate as the emulators hold it: the checked-in file, Always Encrypted at the Cosmos emulator, vaults at the Key Vault emulator. */
async function expectedEstate(): Promise<Estate> {
  const demo = await loadEstateFile(DEMO);
  return {
    ...demo,
    vaults: new Map([...demo.vaults].map(([name, v]) => [name, { ...v, uri: stack.kv.vaultUrl(v.name) }])),
    protectors: demo.protectors.map((p) => (p.alwaysEncrypted ? { ...p, alwaysEncrypted: { ...p.alwaysEncrypted, endpoint: stack.cosmos.endpoint } } : p)),
  };
}

/** The parts of an estate that say what keysteward manages, how, and whom it tells; protectors by id, members by resource id. */
function comparable(e: Estate) {
  return {
    vaults: [...e.vaults.values()].sort((a, b) => a.name.localeCompare(b.name)),
    protectors: [...e.protectors].sort((a, b) => a.id.localeCompare(b.id)).map((p) => ({ ...p, members: [...p.members].sort((a, b) => a.resourceId.localeCompare(b.resourceId)) })),
    notifications: e.notifications,
  };
}

const discovery = async (): Promise<DiscoveryStatus> => (await (await fetch(`${stack.host.url}/api/discovery`)).json()) as DiscoveryStatus;
const roles = async (): Promise<string[]> => {
  const detail = (await (await fetch(`${stack.host.url}/api/protectors/orders-sql`)).json()) as { members: Array<{ role: string; resourceId: string }> };
  return detail.members.map((m) => `${m.role} ${m.resourceId.slice(m.resourceId.lastIndexOf('/') + 1)}`).sort();
};

describe('npm start builds the demo estate by discovery', () => {
  it('discovery + the hand edits give exactly the demo estate, with nothing unread', async () => {
    const d = stack.discovery;
    expect(d).not.toBeNull();
    if (!d) return;
    expect(d.result.facts.gaps).toEqual([]);
    expect(d.result.estate.unreadVaults).toEqual([]);
    expect(d.draft.skipped).toEqual([]);
    expect(await readFile(d.estatePath, 'utf8')).not.toMatch(/not read/);
    expect(d.merge).toMatchObject({ added: [], kept: [], renamed: [], principalsKept: [{ protector: 'cards-ae', member: expect.stringMatching(/cosmos-cards$/) }] });
    expect(d.merge?.matched.map((m) => m.id).sort()).toEqual(['cards-ae', 'catalog-cosmos', 'orders-sql']);
    // What the host reads is the estate file discovery wrote, and it is the demo estate.
    expect(stack.config.KEYSTEWARD_ESTATE).toBe(d.estatePath);
    expect(comparable(stack.estate)).toEqual(comparable(await expectedEstate()));
    // The hand-edited fields came from the overrides file, the topology from Azure.
    const orders = stack.estate.protectors.find((p) => p.id === 'orders-sql');
    expect(orders?.members.map((m) => [m.role, m.principalId])).toEqual([
      ['primary', '11111111-1111-4111-8111-111111111111'],
      ['secondary', '33333333-3333-4333-8333-333333333333'],
      ['secondary', '22222222-2222-4222-8222-222222222222'],
    ]);
    expect(stack.estate.protectors.find((p) => p.id === 'cards-ae')?.alwaysEncrypted).toMatchObject({ databases: ['cards', 'payments'], keySetting: 'COSMOS_CARDS_KEY' });
  });

  it('the host discovers the same Azure with no drift, unmanaged resources or gaps', async () => {
    const first = await eventually(discovery, (s) => s.lastRun !== null, 'the start-up discovery');
    expect(first.failure).toBeNull();
    expect(first.counts).toMatchObject({ sqlServers: 3, cosmosAccounts: 2, vaults: 4, discoveredProtectors: 3 });
    expect(first.gaps).toEqual([]);
    expect(first.drift).toEqual([]);
    expect(first.unmanaged).toEqual([]);
  });

  it('the printed `keysteward discover` command reproduces the estate', async () => {
    const d = stack.discovery;
    if (!d) throw new Error('no discovery');
    const out = join(await mkdtemp(join(tmpdir(), 'ks-local-discover-')), 'estate.yaml');
    const args = d.command.split(' ').slice(2); // past `npx keysteward`
    const cli = await keystewardAsync([...args.slice(0, -1), out], { env: { PATH: process.env['PATH'] ?? '', NODE_EXTRA_CA_CERTS: process.env['NODE_EXTRA_CA_CERTS'] ?? '', ...d.env } });
    expect(cli.stderr.split('\n').filter((l) => l.startsWith('keysteward:'))).toEqual([]);
    expect(cli.code).toBe(0);
    expect(args.at(-1)).toBe('estate.yaml');
    expect(comparable(await loadEstateFile(out))).toEqual(comparable(stack.estate));
  });

  it('the printed failover request flips the roles the service uses, and failing back restores them', async () => {
    await eventually(discovery, (s) => s.lastRun !== null, 'the start-up discovery');
    // Secondaries in the estate's order (discovery's: by resource id), then the primary.
    const initial = ['secondary sql-orders-neu', 'secondary sql-orders-wus', 'primary sql-orders-eus'];
    expect(await switchOrder(stack.host.url)).toEqual(initial);
    const orders = stack.estate.protectors.find((p) => p.id === 'orders-sql');
    const wus = orders?.members.find((m) => m.resourceId.endsWith('/sql-orders-wus'))?.resourceId ?? '';
    const eus = orders?.members.find((m) => m.resourceId.endsWith('/sql-orders-eus'))?.resourceId ?? '';

    const send = async (newPrimary: string): Promise<void> => {
      const req = await failoverRequest(stack.armSql.endpoint, newPrimary, 'orders-sql');
      expect(req.curl).toContain(req.url);
      const res = await fetch(req.url, { method: 'POST', headers: { authorization: req.authorization } });
      expect([200, 202], await res.text()).toContain(res.status);
      await stack.flush();
    };
    await send(wus);
    await eventually(roles, (r) => JSON.stringify(r) === JSON.stringify(['primary sql-orders-wus', 'secondary sql-orders-eus', 'secondary sql-orders-neu']), 'the roles flipping');
    await eventually(() => switchOrder(stack.host.url), sameOrder(['secondary sql-orders-eus', 'secondary sql-orders-neu', 'primary sql-orders-wus']), 'the plan switching the old primary first');
    expect((await discovery()).drift).toContainEqual(expect.objectContaining({ code: 'estate_topology_drift', protector: 'orders-sql', detail: expect.objectContaining({ change: 'roles_swapped' }) }));

    await send(eus);
    await eventually(() => switchOrder(stack.host.url), sameOrder(initial), 'failing back restoring the first order');
    expect((await discovery()).drift).toEqual([]);
  }, 60_000);
});
