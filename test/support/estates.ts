// Estates for tests, built through the real validator so a test never holds an estate the loader would refuse.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildEstate, type Estate } from '../../domain/estate/model.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/shared/', import.meta.url));

export function readFixture(relative: string): unknown {
  return JSON.parse(readFileSync(`${FIXTURES}${relative}`, 'utf8'));
}

export function estateFrom(doc: unknown): Estate {
  const result = buildEstate(doc);
  if (!result.ok) throw new Error(`test estate invalid: ${result.errors.join('; ')}`);
  return result.estate;
}

export function contosoDoc(): Record<string, unknown> {
  return readFixture('estate/contoso.estate.json') as Record<string, unknown>;
}

export function contoso(): Estate {
  return estateFrom(contosoDoc());
}

export const SUB = '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourcegroups/rg-data-prod';
export const EUS_SERVER = `${SUB}/providers/microsoft.sql/servers/sql-orders-eus`;
export const WUS_SERVER = `${SUB}/providers/microsoft.sql/servers/sql-orders-wus`;
export const EUS_OID = '5e2a7c1d-8f3b-4a6e-b9d0-1c2e3f4a5b6c';
export const WUS_OID = '6f3b8d2e-9a4c-4b7f-8ae1-2d3f4a5b6c7d';
export const EUS_VAULT = 'kv-cmk-prod-eus';
export const WUS_VAULT = 'kv-cmk-prod-wus';
export const KEY = 'sql-tde-protector';
export const V_OLD = '6f1c2d3e4a5b46c7889900aabbccddee';
export const V_NEW = '0a9b8c7d6e5f40312233445566778899';
