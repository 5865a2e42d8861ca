// The rotation wiring of a host (hosts/rotation.ts) on a real Redis and Azurite: the in-process worker runs
// ROTATION_CONCURRENCY step jobs at once; and a run whose step job the queue gave up on is failed by the sweep's queue
// reconcile only once no worker holds a live claim on the step, judged at Redis's own time.
import { fixedEstate } from '../../app/estateSource.js';
import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../adapters/logging/logger.js';
import { createRotationQueue, ROTATION_QUEUE } from '../../adapters/queue/rotationQueue.js';
import { RedisClaimClock } from '../../adapters/redis/claimClock.js';
import { TableRotationLedger } from '../../adapters/tables/rotationLedger.js';
import { MemoryStateStore } from '../../app/fakes/memoryStateStore.js';
import { claim } from '../../app/rotation/stepClaims.js';
import { newRun, stepJobId } from '../../domain/rotation/run.js';
import { azureAccess } from '../../hosts/composition.js';
import { loadConfig } from '../../hosts/config.js';
import { createRotationServices, type RotationServices } from '../../hosts/rotation.js';
import { useAzurite } from '../support/azurite.js';
import { estateFrom } from '../support/estates.js';
import { deleteByPrefix, useRedis } from '../support/redis.js';

const redis = useRedis();
const azurite = useAzurite();
const estate = estateFrom({ vaults: [{ name: 'kv-a' }], protectors: [] });

const open: Array<{ close(): Promise<void> }> = [];
const prefixes: string[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
  for (const p of prefixes.splice(0)) await deleteByPrefix(redis().redis, p);
});

function services(env: Record<string, string>, worker: boolean): { services: RotationServices; prefix: string } {
  const r = redis();
  // REDIS_KEY_PREFIX allows one ':' (at its end): a prefix of this test's own, removed after it.
  const prefix = `kstest-${randomUUID()}:`;
  prefixes.push(prefix);
  const config = loadConfig({ KEYSTEWARD_ESTATE: 'estate.json', KEYSTEWARD_MODE: 'local', STORAGE_CONNECTION_STRING: azurite().azurite.connectionString, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent', ...env });
  const s = createRotationServices({ config, access: azureAccess(config), tables: azurite().connection, estates: fixedEstate(estate), state: new MemoryStateStore(), redis: r.client(), clock: { now: () => Date.now() }, log: silentLogger, worker });
  open.push(s);
  return { services: s, prefix };
}

describe('ROTATION_CONCURRENCY', () => {
  it('the in-process worker runs that many step jobs at once (default 4, today’s BullMQ setting); none without a worker', () => {
    expect(services({}, true).services.worker?.concurrency).toBe(4);
    expect(services({ ROTATION_CONCURRENCY: '3' }, true).services.worker?.concurrency).toBe(3);
    expect(services({ ROTATION_CONCURRENCY: '3' }, false).services.worker).toBeNull();
  });
});

describe('queue reconcile of runs the queue gave up on', () => {
  it('leaves the run while a worker holds a live claim on the step (Redis time), fails it once the claim lapsed', async () => {
    const { services: s, prefix } = services({}, false);
    const r = redis();
    const ledger = new TableRotationLedger(azurite().connection);
    const run = newRun(
      { protector: 'orders-reconcile', strategy: 'import', preflight: [{ check: 'members', ok: true, reason: 'ok' }], steps: [{ n: 1, kind: 'preflight' }, { n: 2, kind: 'retain-previous' }] },
      `rot-orders-reconcile-${Date.now().toString(36)}`,
      'test',
      new Date().toISOString(),
    );
    await ledger.create(run);
    await ledger.acquireLock(run.protector, run.id);
    const queue = createRotationQueue({ connection: r.client(), prefix: `${prefix}bull` });
    open.push(queue);
    await queue.enqueue(run);
    // A worker takes step 1 (its claim judged at Redis's time, its own clock an hour ahead) and the queue gives up on it.
    const claimed = await claim({ ledger, claimClock: new RedisClaimClock(r.redis), clock: { now: () => Date.now() + 3_600_000 } }, run.id, 1, 'worker-a', 60_000);
    expect(claimed.kind).toBe('claimed');
    const failing = new Worker(ROTATION_QUEUE, async () => {
      throw new UnrecoverableError('vault unreachable for good');
    }, { connection: r.client(), prefix: `${prefix}bull` });
    open.push(failing);
    const bull = new Queue(ROTATION_QUEUE, { connection: r.client(), prefix: `${prefix}bull` });
    open.push(bull);
    const state = () => bull.getJobState(stepJobId(run.id, 1));
    for (let i = 0; i < 400 && (await state()) !== 'failed'; i++) await new Promise((res) => setTimeout(res, 25));
    await failing.close();
    expect(await state()).toBe('failed');
    expect(await queue.givenUp([run])).toEqual([{ runId: run.id, n: 1, reason: 'vault unreachable for good' }]);

    await s.reconcileQueue();
    expect((await ledger.get(run.id))?.run).toMatchObject({ status: 'running', steps: [{ status: 'running', claim: { token: 'worker-a' } }, { status: 'pending' }] });
    expect(await ledger.acquireLock(run.protector, 'rot-someone-else')).toBe(false);

    // The claim lapses (rewritten to an instant already past on Redis's clock).
    const stored = await ledger.get(run.id);
    const redisNow = await new RedisClaimClock(r.redis).now();
    const lapsed = { ...stored!.run, steps: stored!.run.steps.map((st) => (st.n === 1 ? { ...st, claim: { token: 'worker-a', until: new Date(redisNow - 1).toISOString() } } : st)) };
    expect((await ledger.update(lapsed, stored!.etag)).ok).toBe(true);

    await s.reconcileQueue();
    const failed = (await ledger.get(run.id))?.run;
    expect(failed?.status).toBe('failed-needs-operator');
    expect(failed?.steps[0]).toMatchObject({ status: 'failed', error: { code: 'retries_exhausted', message: 'vault unreachable for good' } });
    expect(await ledger.acquireLock(run.protector, 'rot-someone-else')).toBe(true);
  });
});
