// Shared rig for the ITSM end-to-end tests: the local stack (host without a worker, ServiceNow and Jira emulators,
// Key Vault and ARM emulators, Azurite, Redis), `keysteward worker` processes spawned as in production, and helpers
// that read what the tests assert on — key versions per vault, the vaults' audit of imports, requests through the API.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import { localPolicies } from '../../../adapters/azure/localNetwork.js';
import { createKeyVaultInventoryReader } from '../../../adapters/keyvault/inventoryReader.js';
import { LOCAL_SERVICE_PRINCIPAL } from '../../../hosts/composition.js';
import type { LocalStack } from '../../../hosts/local/stack.js';
import type { ItsmRequest } from '../../../domain/itsm/request.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const ESTATE = `${ROOT}demo/service-estate.json`;
export const VAULTS = ['kv-demo-eus', 'kv-demo-wus', 'kv-demo-neu'];
export const PRIMARY_VAULT = 'kv-demo-eus';
export const SERVERS = { primary: 'sql-orders-eus', secondaries: ['sql-orders-wus', 'sql-orders-neu'] };

export function startWorker(stack: LocalStack): ChildProcess {
  const c = stack.config;
  return spawn(process.execPath, [`${ROOT}dist/cli/main.js`, 'worker'], {
    env: {
      ...process.env,
      KEYSTEWARD_MODE: 'local', KEYSTEWARD_ESTATE: c.KEYSTEWARD_ESTATE, COSMOS_CARDS_KEY: stack.cosmos.masterKey, STORAGE_CONNECTION_STRING: c.STORAGE_CONNECTION_STRING ?? '', REDIS_URL: c.REDIS_URL,
      REDIS_KEY_PREFIX: c.REDIS_KEY_PREFIX, KEYVAULT_URL_TEMPLATE: c.KEYVAULT_URL_TEMPLATE, ARM_ENDPOINT: c.ARM_ENDPOINT, ROTATION_LOCK_MS: '3000', LOG_LEVEL: 'silent',
      ...stack.itsm.env,
    },
    stdio: 'ignore',
  });
}

export async function versionCounts(stack: LocalStack): Promise<Record<string, number>> {
  const reader = createKeyVaultInventoryReader({ credential: new LocalEmulatorCredential(LOCAL_SERVICE_PRINCIPAL), vaultUrl: (v) => stack.kv.vaultUrl(v), additionalPolicies: localPolicies() });
  const out: Record<string, number> = {};
  for (const v of VAULTS) out[v] = (await reader.listVersions(v, 'orders-tde')).length;
  return out;
}

export async function getRequest(stack: LocalStack, id: string): Promise<ItsmRequest & { run: string | null }> {
  const res = await fetch(`${stack.host.url}/api/itsm/requests/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ItsmRequest & { run: string | null };
}

/**
 * Waits until the request reaches `state`, running the ITSM timer's work (outbox, reconcile) meanwhile as the host's
 * timer would; fails with the request's history when it does not.
 */
export async function waitForState(stack: LocalStack, id: string, state: string, timeoutMs = 60_000): Promise<ItsmRequest> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    await stack.host.services.itsmTick();
    const r = await getRequest(stack, id);
    if (r.state === state) return r;
    if (Date.now() > until) throw new Error(`request ${id} is ${r.state}, not ${state}: ${JSON.stringify(r.history)}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

/** Runs the outbox until every pending write-back went out. */
export async function drainOutbox(stack: LocalStack): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const tick = (await stack.host.services.itsmTick()) as { outbox: { sent: number; retried: number; deferred: number } };
    if (tick.outbox.sent === 0 && tick.outbox.retried === 0 && tick.outbox.deferred === 0) return;
  }
}

/** Vaults in the order the rotation imported into them (Key Vault's own audit records). */
export function importOrder(stack: LocalStack, since: number): string[] {
  return stack.kv
    .auditLog()
    .slice(since)
    .filter((r) => r.operationName === 'KeyImport' && r.properties.httpStatusCode === 200)
    .map((r) => VAULTS.find((v) => r.resourceId.toLowerCase().endsWith(`/${v}`)) ?? r.resourceId);
}
