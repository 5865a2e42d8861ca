// The estate the discovery app tests use: `orders` (primary eus, secondaries wus and neu, all in subscription A, with a
// rotation schedule) and `billing` (primary in A, secondary in B).
import type { Estate } from '../../../domain/estate/model.js';
import { estateFrom } from '../../support/estates.js';

export const SUB_A = 'aaaaaaaa-0000-4000-8000-00000000000a';
export const SUB_B = 'bbbbbbbb-0000-4000-8000-00000000000b';
export const server = (sub: string, name: string): string => `/subscriptions/${sub}/resourcegroups/rg/providers/microsoft.sql/servers/${name}`;
export const ORDERS = { eus: server(SUB_A, 'sql-orders-eus'), wus: server(SUB_A, 'sql-orders-wus'), neu: server(SUB_A, 'sql-orders-neu') };
export const BILLING = { a: server(SUB_A, 'sql-billing-a'), b: server(SUB_B, 'sql-billing-b') };
const oid = (n: number): string => `0000000${n}-1111-4111-8111-111111111111`;

const vault = (name: string, sub: string) => ({ name, resourceId: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${name}`, properties: { enableSoftDelete: true, enablePurgeProtection: true } });

export function driftEstate(): Estate {
  return estateFrom({
    vaults: [vault('kv-eus', SUB_A), vault('kv-wus', SUB_A), vault('kv-neu', SUB_A), vault('kv-bill-a', SUB_A), vault('kv-bill-b', SUB_B)],
    protectors: [
      {
        id: 'orders-sql',
        kind: 'sql-tde',
        keyName: 'orders-tde',
        members: [
          { role: 'primary', resourceId: ORDERS.eus, vault: 'kv-eus', principalId: oid(1) },
          { role: 'secondary', resourceId: ORDERS.wus, vault: 'kv-wus', principalId: oid(2) },
          { role: 'secondary', resourceId: ORDERS.neu, vault: 'kv-neu', principalId: oid(3) },
        ],
        rotation: { every: 'P90D', strategy: 'import', keySize: 2048 },
      },
      {
        id: 'billing-sql',
        kind: 'sql-tde',
        keyName: 'billing-tde',
        members: [
          { role: 'primary', resourceId: BILLING.a, vault: 'kv-bill-a', principalId: oid(4) },
          { role: 'secondary', resourceId: BILLING.b, vault: 'kv-bill-b', principalId: oid(5) },
        ],
      },
    ],
  });
}

export const rolesOf = (e: Estate, id: string): Record<string, string> =>
  Object.fromEntries((e.protectors.find((p) => p.id === id)?.members ?? []).map((m) => [m.resourceId.slice(m.resourceId.lastIndexOf('/') + 1), m.role]));
