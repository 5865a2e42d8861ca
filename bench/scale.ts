// Scale (DESIGN.md §7 memory.*, sweep.*): 10,000 SQL TDE protectors (1 primary + 1 secondary each), 500 of them with
// an open incident, served by the real composition (hosts/composition.ts createServices) on Azurite and the
// machine's Redis.
// - Table Storage: every protector's state written through the real TableStateStore, then read back raw and sized
//   by Azure's documented entity size formula (the one adapters/tables/chunks.ts enforces) plus the Timestamp.
// - sweep: the composed sweep (paged scan, alert ledger on Azurite, Redis cursor and send budget), timed on the
//   first run (claims 1,000 transitions: each incident's stage and its escalation) and once the alerts are out.
// - Redis: every key under the deployment's prefix, weighed with MEMORY USAGE, as the running service leaves them:
//   heartbeats, the send budget, the sweep cursor, the BullMQ queues, per-vault key-creation budgets, and the
//   rotation jobs it keeps — BullMQ keeps completed step jobs 30 days, at most COMPLETED_JOBS_KEPT of them
//   (adapters/queue/rotationQueue.ts); with every protector rotating each P180D about N·30/180 runs of 9 step jobs
//   go through Redis in that time, and the count bounds what stays.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { TableClient } from '@azure/data-tables';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { mapLimit } from '../app/concurrency.js';
import type { Logger, Notifier } from '../app/ports.js';
import { DEFAULT_SWEEP_SETTINGS, type SweepResult } from '../app/sweep.js';
import { ROTATION_QUEUE, createRotationQueue } from '../adapters/queue/rotationQueue.js';
import { createRedis } from '../adapters/redis/client.js';
import { RedisVaultBudget } from '../adapters/redis/vaultBudget.js';
import { entityBytes } from '../adapters/tables/chunks.js';
import { STATE_TABLE } from '../adapters/tables/stateStore.js';
import { createServices } from '../hosts/composition.js';
import { buildRotationPlan } from '../domain/rotation/plan.js';
import { newRun, rotationId } from '../domain/rotation/run.js';
import type { scaleEstate } from './scaleEstate.js';
import { startScaleRig } from './scaleRig.js';

export interface ScaleOptions {
  readonly protectors?: number;
  readonly incidents?: number;
}

export interface ScaleBench {
  readonly memory: Record<string, unknown>;
  readonly sweep: Record<string, unknown>;
}

/** Azure counts the Timestamp system property like any DateTime property: 8 + 2·len("Timestamp") + 8. */
const TIMESTAMP_BYTES = 8 + 2 * 'Timestamp'.length + 8;
/** Completed rotation step jobs stay this long (rotationQueue.ts removeOnComplete), and each protector rotates every 180 days. */
const RETAINED_DAYS = 30;
const ROTATION_EVERY_DAYS = 180;
const REDIS_BUDGET_BYTES = 50 * 1024 * 1024;

const round = (n: number): number => Math.round(n * 10) / 10;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const say = (text: string): void => void process.stderr.write(`bench scale: ${text}\n`);

function benchLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, info: () => undefined, warn: () => undefined, error: (fields, message) => void errors.push(`${message} ${JSON.stringify(fields)}`) };
}

function isSweepResult(v: unknown): v is SweepResult {
  return typeof v === 'object' && v !== null && 'judged' in v && 'complete' in v && 'dispatch' in v;
}

export async function benchScale(o: ScaleOptions = {}): Promise<ScaleBench> {
  const log = benchLogger();
  const sent: number[] = [];
  const counter: Notifier = { channel: 'bench', send: async (m) => void sent.push(m.incidents.length) };
  const rig = await startScaleRig({ ...o, lostMinutesAgo: 20, tag: 'scale' });
  const { count, incidents, now, prefix, estate, azurite } = rig;
  say(`${count} protectors, ${incidents} with an open incident`);
  const redis = createRedis(rig.redisUrl, { name: 'keysteward-bench' });
  const config = rig.config({
    // The sweep is timed, not ACS's 30 e-mails a minute: with the default budget the 1,000 alerts would stay pending
    // (and be re-leased by every sweep) for over half an hour.
    EMAIL_RATE_PER_MINUTE: '100000',
    EMAIL_RATE_PER_HOUR: '1000000',
  });
  const services = await createServices(config, { clock: { now: () => now }, log, notifiers: [counter], rotationWorker: false });
  try {
    // 1. State: written as ingestion writes it (one entity per protector, its own partition: no batch transaction
    // spans two protectors), then sized as stored.
    const seedMs = await rig.seedStates();
    say(`states written in ${Math.round(seedMs)} ms`);
    const raw = TableClient.fromConnectionString(azurite.connectionString, STATE_TABLE, { allowInsecureConnection: true });
    let tableBytes = 0;
    let largest = 0;
    let entities = 0;
    for await (const e of raw.listEntities<Record<string, unknown>>()) {
      const properties = Object.fromEntries(Object.entries(e).filter((kv): kv is [string, string | number | boolean] => !['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata'].includes(kv[0]) && ['string', 'number', 'boolean'].includes(typeof kv[1])));
      const bytes = entityBytes(String(e.partitionKey), String(e.rowKey), properties) + TIMESTAMP_BYTES;
      tableBytes += bytes;
      largest = Math.max(largest, bytes);
      entities++;
    }

    // 2. Sweeps: the first claims and sends; then until nothing is claimed or sent; then three steady sweeps.
    const sweeps: Array<{ ms: number; result: SweepResult }> = [];
    const runSweep = async (): Promise<SweepResult> => {
      const t = performance.now();
      const result = await services.sweep();
      if (!isSweepResult(result)) throw new Error('the composed sweep returned something else than a SweepResult');
      sweeps.push({ ms: performance.now() - t, result });
      say(`sweep ${sweeps.length}: ${Math.round(performance.now() - t)} ms, judged ${result.judged}, claimed ${result.claimed}, sent ${result.dispatch.sent}, complete ${result.complete}`);
      return result;
    };
    const first = await runSweep();
    for (let k = 0; k < 5; k++) {
      const r = await runSweep();
      if (r.claimed === 0 && r.dispatch.sent === 0 && r.dispatch.deferred === 0) break;
    }
    // The last sweep of that loop claimed and sent nothing: it is the first steady one.
    const settled = sweeps.length - 1;
    for (let k = 0; k < 3; k++) await runSweep();
    const steady = sweeps.slice(settled);

    // 3. Redis as the service keeps it: a heartbeat of ingestion, the rotation jobs it retains, key-creation budgets.
    await services.ingest([{ body: { records: [] }, partitionId: '0', offset: '0', sequenceNumber: 0 }]);
    const retainedRuns = Math.ceil((count * RETAINED_DAYS) / ROTATION_EVERY_DAYS);
    const steps = await retainRotationJobs(redis, `${prefix}bull`, estate, retainedRuns, now);
    const creates = new RedisVaultBudget(redis, { ratePerSec: 1, burst: 1, keyPrefix: `${prefix}creates:` });
    await mapLimit([...estate.vaults.keys()], 16, (vault) => creates.acquire(vault, 1));
    const weighed = await weighPrefix(redis, prefix);
    say(`redis: ${weighed.keys} keys, ${weighed.bytes} bytes under ${prefix}`);

    const sweepMs = round(median(steady.map((s) => s.ms)));
    return {
      memory: {
        redisBytesPerProtector: round(weighed.bytes / count),
        redisBytesTotal: weighed.bytes,
        redisWithinBudget: weighed.bytes <= REDIS_BUDGET_BYTES,
        redisKeys: weighed.keys,
        redisBytesByKind: weighed.byKind,
        redisRetainedRotationRuns: retainedRuns,
        redisRetainedStepJobs: steps,
        tableBytesPerProtector: round(tableBytes / count),
        tableBytesTotal: tableBytes,
        tableEntityBytesMax: largest,
        tableEntities: entities,
        protectors: count,
      },
      sweep: {
        ms: sweepMs,
        firstMs: round(sweeps[0]?.ms ?? NaN),
        runsMs: sweeps.map((s) => Math.round(s.ms)),
        protectors: count,
        openIncidents: incidents,
        // The first sweeps claim each incident's stage and escalation and send them; the ones after are steady.
        sweepsUntilSteady: settled,
        steadyRuns: steady.length,
        first: { judged: first.judged, claimed: first.claimed, sent: first.dispatch.sent, complete: first.complete, stoppedBy: first.stoppedBy },
        steady: { judged: median(steady.map((s) => s.result.judged)), skipped: median(steady.map((s) => s.result.skipped)), failed: Math.max(...steady.map((s) => s.result.failed)), complete: steady.every((s) => s.result.complete) },
        claimedTotal: sweeps.reduce((a, s) => a + s.result.claimed, 0),
        alertsSent: sent.reduce((a, b) => a + b, 0),
        budgetMs: config.SWEEP_BUDGET_MS,
        concurrency: config.SWEEP_CONCURRENCY,
        pageSize: DEFAULT_SWEEP_SETTINGS.pageSize,
        seedMs: Math.round(seedMs),
        errors: log.errors.length,
      },
    };
  } finally {
    await services.close();
    redis.disconnect();
    await rig.close();
  }
}

/**
 * Queues `runs` rotation runs exactly as startRotation does (real plans, ids and the real queue's flows and job
 * options) and completes every step with a worker that does what a finished executeStep leaves behind (result
 * 'done'), so Redis holds what it holds 30 days into steady rotation. Returns the number of step jobs.
 */
async function retainRotationJobs(redis: Redis, bullPrefix: string, estate: ReturnType<typeof scaleEstate>, runs: number, now: number): Promise<number> {
  const queue = createRotationQueue({ connection: redis, prefix: bullPrefix });
  let steps = 0;
  let done = 0;
  let queued = false;
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((r) => (resolveAll = r));
  const connection = redis.duplicate();
  const worker = new Worker(
    ROTATION_QUEUE,
    async () => {
      done++;
      if (queued && done === steps) resolveAll();
      return 'done';
    },
    { connection, prefix: bullPrefix, concurrency: 64 },
  );
  try {
    const chosen = estate.protectors.slice(0, runs);
    await mapLimit(chosen, 16, async (p, i) => {
      const plan = buildRotationPlan({ estate, protectorId: p.id, now });
      if (!plan.ok) throw new Error(plan.error);
      const run = newRun({ ...plan.plan, preflight: plan.plan.preflight.map((c) => ({ ...c, ok: true })) }, rotationId(p.id, now - i * 1000, randomUUID().slice(0, 8)), 'schedule', new Date(now).toISOString());
      steps += run.steps.length;
      await queue.enqueue(run);
    });
    queued = true;
    say(`rotation jobs: ${steps} queued for ${runs} runs; completing them`);
    if (done < steps) await all;
    return steps;
  } finally {
    await worker.close();
    await queue.close();
    connection.disconnect();
  }
}

/** Every key under `prefix` weighed with MEMORY USAGE (SAMPLES 0: every element counted), grouped by kind. */
async function weighPrefix(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number; byKind: Record<string, number> }> {
  let keys = 0;
  let bytes = 0;
  const byKind: Record<string, number> = {};
  const kindOf = (key: string): string => {
    const rest = key.slice(prefix.length);
    if (rest.startsWith('bull:')) {
      const tail = rest.split(':').slice(2).join(':');
      if (tail === 'events') return 'bull:events';
      if (/^rot-/.test(tail)) return 'bull:jobs';
      return 'bull:queues';
    }
    return rest.split(':')[0] ?? rest;
  };
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    const sizes = await Promise.all(batch.map((k) => redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0') as Promise<number | null>));
    batch.forEach((k, i) => {
      const b = sizes[i] ?? 0;
      keys++;
      bytes += b;
      const kind = kindOf(k);
      byKind[kind] = (byKind[kind] ?? 0) + b;
    });
  } while (cursor !== '0');
  return { keys, bytes, byKind };
}

