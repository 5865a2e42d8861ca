// Rotations end to end: the API starts a run, BullMQ workers execute its steps against the Key Vault and ARM SQL
// emulators (real SDK clients over HTTPS), the ledger lives in Azurite. Checks the order secondary → primary in
// both the Key Vault audit log and the ARM history, exactly one new version per vault even when a worker is
// SIGKILLed mid-run, and a secondary refused with 403 leaving the primary untouched.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { TableRotationLedger } from '../../adapters/tables/rotationLedger.js';
import { ABANDONED_LOCK_MS } from '../../app/rotation/start.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../adapters/logging/logger.js';
import { createKeyVaultInventoryReader } from '../../adapters/keyvault/inventoryReader.js';
import { LocalEmulatorCredential } from '../../adapters/azure/localCredential.js';
import { localPolicies } from '../../adapters/azure/localNetwork.js';
import { LOCAL_SERVICE_PRINCIPAL } from '../../hosts/composition.js';
import { LOCAL_ADMIN } from '../../hosts/local/seed.js';
import { createKeyWrapper } from '../../adapters/keyvault/crypto/index.js';
import { KeyClient } from '@azure/keyvault-keys';
import { spawnLocalWorker } from '../support/localWorker.js';
import { startLocalStack, type LocalStack } from '../../hosts/local/stack.js';
import type { RotationRun } from '../../domain/rotation/run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ESTATE = `${ROOT}demo/service-estate.json`;
const VAULTS = { primary: 'kv-demo-eus', secondaries: ['kv-demo-wus', 'kv-demo-neu'] };
const SERVERS = { primary: 'sql-orders-eus', secondaries: ['sql-orders-wus', 'sql-orders-neu'] };

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ estatePath: ESTATE, port: 0, log: silentLogger, trafficEveryMs: 0, timers: false, feedIntervalMs: 60_000, env: { ROTATION_WORKER: 'false' } });
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

const inventory = () => createKeyVaultInventoryReader({ credential: new LocalEmulatorCredential(LOCAL_SERVICE_PRINCIPAL), vaultUrl: (v) => stack.kv.vaultUrl(v), additionalPolicies: localPolicies() });

async function versionCounts(): Promise<Record<string, number>> {
  const reader = inventory();
  const out: Record<string, number> = {};
  for (const v of [VAULTS.primary, ...VAULTS.secondaries]) out[v] = (await reader.listVersions(v, 'orders-tde')).length;
  return out;
}

function startWorker(): ChildProcess {
  return spawnLocalWorker(stack);
}

async function startRun(protector = 'orders-sql'): Promise<RotationRun> {
  const res = await fetch(`${stack.host.url}/api/protectors/${protector}/rotations`, { method: 'POST', body: JSON.stringify({ requestedBy: 'test' }) });
  const body = (await res.json()) as RotationRun & { error?: string };
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body;
}

async function waitForEnd(id: string, timeoutMs = 60_000): Promise<RotationRun> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = (await (await fetch(`${stack.host.url}/api/rotations/${id}`)).json()) as RotationRun;
    if (run.status !== 'running') return run;
    if (Date.now() > until) throw new Error(`rotation ${id} still running: ${JSON.stringify(run.steps.map((s) => [s.kind, s.status]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const position = (list: readonly string[], needle: string): number => list.findIndex((x) => x.includes(needle));

describe('rotation runs', () => {
  it('a dry run prints the plan with every preflight check passing', async () => {
    const res = await fetch(`${stack.host.url}/api/protectors/orders-sql/rotations`, { method: 'POST', body: JSON.stringify({ dryRun: true }) });
    const plan = (await res.json()) as { preflight: Array<{ check: string; ok: boolean; reason: string }>; steps: Array<{ kind: string }> };
    expect(plan.preflight.filter((p) => !p.ok)).toEqual([]);
    expect(plan.steps.map((s) => s.kind)[0]).toBe('preflight');
  });

  it('rotates secondaries first, then the primary, surviving a worker SIGKILLed mid-run, with exactly one new version per vault', async () => {
    const before = await versionCounts();
    // The current versions expire (as Azure Policy often requires): about 400 days from their creation.
    for (const vault of Object.keys(before)) {
      const admin = new KeyClient(stack.kv.vaultUrl(vault), new LocalEmulatorCredential(LOCAL_ADMIN), { additionalPolicies: localPolicies() });
      const current = await admin.getKey('orders-tde');
      await admin.updateKeyProperties('orders-tde', current.properties.version ?? '', { expiresOn: new Date(Date.now() + 400 * 86_400_000) });
    }
    const auditStart = stack.kv.auditLog().length;
    const armStart = stack.armSql.history().length;
    const first = startWorker();
    const run = await startRun();
    // Kill the first worker as soon as the first new version lands in a vault: mid-run, mid-steps.
    for (let i = 0; i < 300 && !stack.kv.auditLog().slice(auditStart).some((r) => r.operationName === 'KeyImport' && r.properties.httpStatusCode === 200); i++) await new Promise((r) => setTimeout(r, 50));
    first.kill('SIGKILL');
    // The kill must land mid-run, or this test would prove nothing about resuming.
    const atKill = (await (await fetch(`${stack.host.url}/api/rotations/${run.id}`)).json()) as RotationRun;
    expect(atKill.status).toBe('running');
    expect(atKill.steps.some((s) => s.status !== 'done')).toBe(true);
    const second = startWorker();
    try {
      const ended = await waitForEnd(run.id);
      expect(ended.status, JSON.stringify(ended.steps)).toBe('completed');
    } finally {
      second.kill('SIGTERM');
    }
    const after = await versionCounts();
    for (const vault of Object.keys(before)) expect(after[vault], vault).toBe((before[vault] ?? 0) + 1);
    // Key Vault gives an imported version no expiry: each new version keeps the lifetime of the one it succeeded.
    for (const vault of Object.keys(before)) {
      const versions = await inventory().listVersions(vault, 'orders-tde');
      const made = versions.find((v) => v.tags['keysteward-rotation'] === run.id);
      const previous = versions.filter((v) => v !== made && v.enabled).sort((a, b) => (a.created ?? 0) - (b.created ?? 0)).pop();
      if (!made || !previous || previous.exp === null || made.exp === null || made.created === null) throw new Error(`${vault}: expected expiring versions, got ${JSON.stringify({ made, previous })}`);
      const lifetime = previous.exp - (previous.nbf ?? previous.created ?? 0);
      expect(Math.abs(made.exp - made.created - lifetime), vault).toBeLessThan(60_000);
    }

    const imports = stack.kv.auditLog().slice(auditStart).filter((r) => r.operationName === 'KeyImport' && r.properties.httpStatusCode === 200).map((r) => r.resourceId.toLowerCase());
    expect(imports).toHaveLength(3);
    expect(position(imports, VAULTS.primary)).toBeGreaterThan(Math.max(...VAULTS.secondaries.map((v) => position(imports, v))));

    const writes = stack.armSql.history().slice(armStart).filter((h) => h.operation === 'encryptionProtector/write').map((h) => h.serverName);
    expect(writes.slice(-3).sort()).toEqual([...SERVERS.secondaries, SERVERS.primary].sort());
    expect(writes.lastIndexOf(SERVERS.primary)).toBeGreaterThan(Math.max(...SERVERS.secondaries.map((s) => writes.lastIndexOf(s))));
  }, 90_000);

  it('a lock left by a starter that died before recording its run blocks starts (409) until it is 30 s old by Redis\'s clock, then is taken over', async () => {
    // What chaos's host-kill hit in CI: the host took the protector's lock and was SIGKILLed before it recorded the run.
    const ledger = new TableRotationLedger({ connectionString: stack.config.STORAGE_CONNECTION_STRING ?? '' });
    const redis = new Redis(stack.config.REDIS_URL);
    try {
      const [seconds] = await redis.time();
      const redisNow = Number(seconds) * 1000;
      expect(await ledger.acquireLock('orders-sql', 'rot-orders-sql-died-1', redisNow)).toBe(true);
      const young = await fetch(`${stack.host.url}/api/protectors/orders-sql/rotations`, { method: 'POST', body: JSON.stringify({ requestedBy: 'test' }) });
      expect(young.status).toBe(409);
      // The same lock, 31 s old: the starter is taken to be dead.
      const held = await ledger.lockHolder('orders-sql');
      expect(held).toMatchObject({ runId: 'rot-orders-sql-died-1', recorded: false });
      expect(await ledger.replaceLock('orders-sql', held!, 'rot-orders-sql-died-1', redisNow - ABANDONED_LOCK_MS - 1_000)).toBe(true);
      const run = await startRun();
      expect(await ledger.lockHolder('orders-sql')).toMatchObject({ runId: run.id, recorded: true });
      const worker = startWorker();
      try {
        expect((await waitForEnd(run.id)).status).toBe('completed');
      } finally {
        worker.kill('SIGTERM');
      }
      expect(await ledger.lockHolder('orders-sql')).toBeNull();
    } finally {
      redis.disconnect();
    }
  }, 90_000);

  it('a run whose jobs Redis lost (flushed) is re-queued from the ledger and completes (I6)', async () => {
    const before = await versionCounts();
    const run = await startRun(); // no worker running: the jobs wait in Redis
    const queue = new Queue('keysteward-rotation', { connection: { url: stack.config.REDIS_URL }, prefix: `${stack.config.REDIS_KEY_PREFIX}bull` });
    try {
      await queue.obliterate({ force: true }); // what a FLUSHALL or a failover that lost writes leaves
    } finally {
      await queue.close();
    }
    await stack.host.services.sweep(); // the sweep reconciles the queue with the ledger
    const worker = startWorker();
    try {
      expect((await waitForEnd(run.id)).status).toBe('completed');
    } finally {
      worker.kill('SIGTERM');
    }
    const after = await versionCounts();
    for (const vault of Object.keys(before)) expect(after[vault], vault).toBe((before[vault] ?? 0) + 1);
  }, 90_000);

  it('the retirement gate refuses to disable the version a member uses, and the previous one inside backup retention', async () => {
    const reader = inventory();
    const versions = (await reader.listVersions(VAULTS.primary, 'orders-tde')).sort((a, b) => (a.created ?? 0) - (b.created ?? 0));
    const [previous, current] = [versions[versions.length - 2], versions[versions.length - 1]];
    const retire = async (version: string) => {
      const res = await fetch(`${stack.host.url}/api/protectors/orders-sql/versions/${VAULTS.primary}/${version}/disable`, { method: 'POST' });
      return { status: res.status, body: (await res.json()) as { disabled: boolean; blockers?: Array<{ code: string }> } };
    };
    const now = await retire(current?.version ?? '');
    expect(now.status).toBe(409);
    expect(now.body.blockers?.map((b) => b.code)).toContain('in_use_by_member');
    const old = await retire(previous?.version ?? '');
    expect(old.status).toBe(409);
    expect(old.body.blockers?.map((b) => b.code)).toEqual(['backup_retention']); // P35D after the rotation moved the members off it
    expect((await reader.listVersions(VAULTS.primary, 'orders-tde')).every((v) => v.enabled)).toBe(true);
  });

  it('ARM refusing a secondary protector switch (403) stops the run before the primary switches', async () => {
    const armStart = stack.armSql.history().length;
    const secondary = stack.estate.protectors[0]?.members.find((m) => m.resourceId.endsWith(SERVERS.secondaries[0] as string))?.resourceId as string;
    stack.armSql.failNext(secondary, 'encryptionProtector/write', { status: 403, code: 'AuthorizationFailed', message: 'The client does not have authorization to perform action.' });
    const worker = startWorker();
    try {
      const ended = await waitForEnd((await startRun()).id);
      expect(ended.status).toBe('failed-needs-operator');
      expect(ended.steps.find((s) => s.status === 'failed')).toMatchObject({ kind: 'switch-protector', role: 'secondary' });
      expect(ended.steps.find((s) => s.status === 'failed')?.error?.code).toBe('arm_403_AuthorizationFailed');
    } finally {
      worker.kill('SIGTERM');
    }
    const primaryWrites = stack.armSql.history().slice(armStart).filter((h) => h.serverName === SERVERS.primary && h.operation === 'encryptionProtector/write');
    expect(primaryWrites).toEqual([]);
  }, 90_000);
  it('a Cosmos Always Encrypted rotation rewraps every client encryption key onto the new version, each once, keeping its key; the gate refuses the old version only while CEKs remain', async () => {
    const VAULT = 'kv-demo-cosmos';
    const wrapper = createKeyWrapper({ credential: new LocalEmulatorCredential(LOCAL_ADMIN), additionalPolicies: localPolicies() });
    const dbs = ['cards', 'payments'];
    const ceks = () => dbs.flatMap((db) => stack.cosmos.ceks(db).map((c) => ({ db, ...c })));
    const before = ceks();
    expect(before).toHaveLength(8);
    const oldKid = before[0]?.keyWrapMetadata.value ?? '';
    expect(new Set(before.map((c) => c.keyWrapMetadata.value))).toEqual(new Set([oldKid]));
    const plaintexts = new Map<string, string>();
    for (const c of before) plaintexts.set(`${c.db}/${c.id}`, (await wrapper.unwrap(oldKid, 'RSA-OAEP', c.wrappedDataEncryptionKey)).toString('hex'));
    const oldVersion = oldKid.split('/').pop() ?? '';
    const retire = async () => (await (await fetch(`${stack.host.url}/api/protectors/cards-ae/versions/${VAULT}/${oldVersion}/disable`, { method: 'POST' })).json()) as { disabled: boolean; blockers?: Array<{ code: string; count?: number }> };
    expect((await retire()).blockers).toContainEqual({ code: 'deks_wrapped', count: 8 });

    const writesBefore = stack.cosmos.writes().length;
    const worker = startWorker();
    let ended: RotationRun;
    try {
      ended = await waitForEnd((await startRun('cards-ae')).id);
    } finally {
      worker.kill('SIGTERM');
    }
    expect(ended.status, JSON.stringify(ended.steps)).toBe('completed');
    const rewrapStep = ended.steps.find((s) => s.kind === 'rewrap-deks');
    expect(rewrapStep?.outcome?.note).toMatch(/^8 client encryption key\(s\) rewrapped/);
    const newKid = rewrapStep?.outcome?.kid ?? '';
    expect(newKid).not.toBe(oldKid);

    const after = ceks();
    for (const c of after) {
      expect(c.keyWrapMetadata.value).toBe(newKid);
      expect((await wrapper.unwrap(newKid, 'RSA-OAEP', c.wrappedDataEncryptionKey)).toString('hex')).toBe(plaintexts.get(`${c.db}/${c.id}`));
    }
    // Each CEK replaced exactly once (no double wrap), and keysteward wrote with the account key (Azure refuses Entra ID).
    const replaces = stack.cosmos.writes().slice(writesBefore).filter((w) => w.op === 'replace');
    expect(replaces.map((w) => `${w.db}/${w.id}`).sort()).toEqual([...plaintexts.keys()].sort());
    expect(replaces.every((w) => w.oid === null)).toBe(true);
    // Nothing wrapped under the old version any more: what still holds it back is backup retention alone.
    expect((await retire()).blockers?.map((b) => b.code)).toEqual(['backup_retention']);
  }, 90_000);

  it('keysteward rewrap asks the host for a campaign, a worker runs it through BullMQ, and the CLI follows it to completion', async () => {
    // An operator made a new version by hand; the campaign moves every CEK onto it.
    const admin = new KeyClient(stack.kv.vaultUrl('kv-demo-cosmos'), new LocalEmulatorCredential(LOCAL_ADMIN), { additionalPolicies: localPolicies() });
    const current = (await admin.rotateKey('cards-cmk')).properties.version ?? '';
    const total = stack.cosmos.ceks('cards').length + stack.cosmos.ceks('payments').length;
    const worker = startWorker();
    try {
      const cli = spawn(process.execPath, [`${ROOT}dist/cli/main.js`, 'rewrap', '--protector', 'cards-ae', '--to', current, '--url', stack.host.url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      cli.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      cli.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => cli.on('exit', resolve));
      expect(code, stderr).toBe(0);
      const status = JSON.parse(stdout) as { state: string; request: { id: string; store: string }; summary: Record<string, unknown> };
      expect(status).toMatchObject({ state: 'completed', request: { store: 'cosmos-ceks' }, summary: { scanned: total, alreadyDone: 0, rewrapped: total, remaining: 0, complete: true } });
      for (const db of ['cards', 'payments']) for (const c of stack.cosmos.ceks(db)) expect(c.keyWrapMetadata.value.endsWith(`/${current}`)).toBe(true);
      expect(stderr).toMatch(/rewrap campaign rewrap-cards-ae-kv-demo-cosmos-older-[0-9a-f]{32} (queued|running)/);
      const viaApi = (await (await fetch(`${stack.host.url}/api/rewraps/${status.request.id}`)).json()) as { state: string };
      expect(viaApi.state).toBe('completed');
    } finally {
      worker.kill('SIGTERM');
    }
    const refused = await fetch(`${stack.host.url}/api/protectors/orders-sql/rewraps`, { method: 'POST', body: JSON.stringify({ toVersion: current }) });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: string }).error).toMatch(/fromVersion is required/);
  }, 90_000);

  // Runs last: the refused run leaves a new version in the first secondary's vault only, and later rotations are
  // rightly refused (geo_key_material_missing) until an operator reconciles the vaults.
  it('a secondary refused with 403 fails the run before any primary step: failed-needs-operator, primary untouched', async () => {
    const before = await versionCounts();
    const armStart = stack.armSql.history().length;
    stack.kv.revoke(VAULTS.secondaries[1] as string, LOCAL_SERVICE_PRINCIPAL.oid, ['import']);
    const worker = startWorker();
    try {
      const run = await startRun();
      const ended = await waitForEnd(run.id);
      expect(ended.status).toBe('failed-needs-operator');
      const failed = ended.steps.find((s) => s.status === 'failed');
      expect(failed).toMatchObject({ kind: 'install-version', vault: VAULTS.secondaries[1] });
      expect(failed?.error?.code).toMatch(/^keyvault_403/);
      expect(ended.steps.filter((s) => s.role === 'primary').every((s) => s.status === 'pending')).toBe(true);
    } finally {
      worker.kill('SIGTERM');
      stack.kv.grant(VAULTS.secondaries[1] as string, LOCAL_SERVICE_PRINCIPAL.oid, ['import']);
    }
    const after = await versionCounts();
    expect(after[VAULTS.primary]).toBe(before[VAULTS.primary]);
    expect(stack.armSql.history().slice(armStart).filter((h) => h.serverName === SERVERS.primary)).toEqual([]);
  }, 90_000);

});
