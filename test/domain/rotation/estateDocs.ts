// Test helpers: estate documents built from the contoso fixture, with inventory and vault properties added.
// Documents go through buildEstate so every estate a test uses is one the product would accept.
import { readFileSync } from 'node:fs';
import { buildEstate } from '../../../domain/estate/model.js';
import type { Estate, Protector } from '../../../domain/estate/model.js';
import type { EstateInput } from '../../../domain/estate/schema.js';

export const NOW = Date.parse('2026-11-22T00:00:00Z');

export const FIXTURE = '/work/shared/fixtures/estate/contoso.estate.json';

export const EUS = 'kv-cmk-prod-eus';
export const WUS = 'kv-cmk-prod-wus';
export const SUB = '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourceGroups/rg-data-prod/providers';
export const PRIMARY = `${SUB}/Microsoft.Sql/servers/sql-orders-eus`.toLowerCase();
export const SECONDARY = `${SUB}/Microsoft.Sql/servers/sql-orders-wus`.toLowerCase();
export const KEY = 'sql-tde-protector';

export type InventoryEntry = NonNullable<EstateInput['inventory']>[string][string][number];
export type VaultPropertiesDoc = NonNullable<EstateInput['vaults'][number]['properties']>;

/** A 43-character base64url thumbprint whose first characters are `label`. */
export function tp(label: string): string {
  return (label + '_'.repeat(43)).slice(0, 43);
}

/** A 32-hex Key Vault version id. */
export function ver(n: number): string {
  return n.toString(16).padStart(32, '0');
}

/** A healthy RSA-2048 version, created `n` days before the 2026-11-01 reference and valid for two years. */
export function version(n: number, thumbprint: string, extra: Partial<InventoryEntry> = {}): InventoryEntry {
  return {
    version: ver(n),
    thumbprint,
    enabled: true,
    kty: 'RSA',
    size: 2048,
    created: `2026-${String(n).padStart(2, '0')}-01T00:00:00Z`,
    nbf: '2026-01-01T00:00:00Z',
    exp: '2028-01-01T00:00:00Z',
    ...extra,
  };
}

export const GOOD_PROPS: VaultPropertiesDoc = {
  enableSoftDelete: true,
  enablePurgeProtection: true,
  networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' },
};

export function contosoDoc(): EstateInput {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as EstateInput;
}

/** Contoso with both vaults holding the same two versions (different ids, same thumbprints) and good properties. */
export function healthyDoc(): EstateInput {
  const doc = contosoDoc();
  return {
    ...doc,
    vaults: doc.vaults.map((v) => ({ ...v, properties: GOOD_PROPS })),
    inventory: {
      [EUS]: { [KEY]: [version(1, tp('old')), version(6, tp('cur'))] },
      [WUS]: { [KEY]: [version(2, tp('old')), version(7, tp('cur'))] },
    },
  };
}

export function estateOf(doc: unknown): Estate {
  const r = buildEstate(doc);
  if (!r.ok) throw new Error(`invalid test estate: ${r.errors.join('; ')}`);
  return r.estate;
}

export function protectorOf(estate: Estate, id = 'orders-sql'): Protector {
  const p = estate.protectors.find((x) => x.id === id);
  if (!p) throw new Error(`no protector ${id}`);
  return p;
}
