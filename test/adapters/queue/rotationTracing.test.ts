// One trace per rotation run across worker instances, on a real Redis with BullMQ: the run's root span is opened
// where the run is started and its W3C traceparent rides in every step job's data (ids only); two workers, one after
// the other, run the steps, and every step is a child span of the root in the same trace, with its kind, vault,
// member role, outcome and attempt. The step-duration histogram counts each execution by kind and outcome; the queue
// depth gauge reads the queue; and no span, metric or job carries any of the key material the run handled.
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { Queue, type Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../adapters/logging/logger.js';
import { createRotationQueue, ROTATION_QUEUE, startRotationWorker, type StepJobData } from '../../../adapters/queue/rotationQueue.js';
import { fixedEstate } from '../../../app/estateSource.js';
import { MemoryStateStore } from '../../../app/fakes/memoryStateStore.js';
import type { RotationDeps } from '../../../app/rotation/executor.js';
import { MemoryRotationLedger } from '../../../app/rotation/memoryLedger.js';
import { startRotation } from '../../../app/rotation/start.js';
import { observeQueueDepth } from '../../../app/telemetry.js';
import { stepJobId } from '../../../domain/rotation/run.js';
import { eventually } from '../../support/eventually.js';
import { useRedis } from '../../support/redis.js';
import { FakeArm, FakeKeys } from '../../support/rotationFakes.js';
import { attributeTexts, useTelemetry } from '../../support/telemetry.js';
import { ORDERS_ESTATE } from '../../app/rotation/estate.js';

const redis = useRedis();
const telemetry = useTelemetry('worker');

const estate = ORDERS_ESTATE;

describe('a rotation run is one trace across workers', () => {
  it('root span where it starts, traceparent in each job, each step a child span whichever worker ran it', async () => {
    const r = redis();
    const prefix = `${r.prefix()}bull`;
    const keys = new FakeKeys(['kv-eus', 'kv-wus']);
    const arm = new FakeArm();
    const ledger = new MemoryRotationLedger();
    const staged: string[] = [];
    const putStaged = ledger.putStaged.bind(ledger);
    ledger.putStaged = async (runId, sealed) => {
      staged.push(sealed);
      return putStaged(runId, sealed);
    };
    const ran = { A: 0, B: 0 };
    let workerA: Worker | undefined;
    const deps = (worker: 'A' | 'B'): RotationDeps => ({
      estates: fixedEstate(estate),
      ledger,
      keys,
      protectors: arm,
      clock: { now: () => Date.now() },
      claimClock: { now: async () => Date.now() },
      log: silentLogger,
      vaultUrl: (v) => `https://${v}.vault.azure.net/`,
      claimMs: 30_000,
      // One claim token per step execution: counts which worker ran how many.
      newToken: () => {
        ran[worker]++;
        // Worker A takes no job after its first step (the one it is running finishes): B must run the rest.
        if (worker === 'A') void workerA?.pause(true);
        return `${worker}-${randomUUID()}`;
      },
    });
    const queue = createRotationQueue({ connection: r.client(), prefix });
    const depth = observeQueueDepth(() => queue.depth());
    const workers: Worker[] = [];
    try {
      const started = await startRotation({ ...deps('A'), state: new MemoryStateStore(), queue }, 'orders', { requestedBy: 'test' });
      if (started.kind !== 'started') throw new Error(`not started: ${JSON.stringify(started)}`);
      const run = started.run;
      const t = telemetry();
      const [root] = t.spans('keysteward.rotation.run');
      if (!root) throw new Error('no root span');
      expect(root.parentSpanContext).toBeUndefined();
      expect(root.kind).toBe(SpanKind.PRODUCER);
      expect(root.attributes).toEqual({ 'keysteward.rotation.id': run.id, 'keysteward.protector': 'orders', 'keysteward.rotation.strategy': 'import', 'keysteward.rotation.steps': run.steps.length });
      const traceparent = `00-${root.spanContext().traceId}-${root.spanContext().spanId}-01`;

      // The job data: ids only, the traceparent among them.
      const jobs = new Queue<StepJobData>(ROTATION_QUEUE, { connection: r.client(), prefix });
      for (const s of run.steps) expect((await jobs.getJob(stepJobId(run.id, s.n)))?.data).toEqual({ runId: run.id, n: s.n, traceparent });
      // Queued, not yet run: the chain's first step waits, the others wait on their children (not counted).
      const depthOf = async () => Object.fromEntries((await t.points('keysteward.queue.depth')).map((p) => [`${p.attributes['keysteward.queue']}/${p.attributes['keysteward.queue.state']}`, p.value]));
      expect(await depthOf()).toEqual({ 'keysteward-rotation/waiting': 1, 'keysteward-rotation/active': 0, 'keysteward-rotation/delayed': 0 });

      // Worker A runs until the first step is done and stops; worker B, another instance on its own connection, finishes.
      const a = startRotationWorker(deps('A'), { connection: r.client(), prefix, concurrency: 1 });
      workerA = a;
      workers.push(a);
      await eventually(async () => (await ledger.get(run.id))?.run.steps[0]?.status, (s) => s === 'done', 'step 1 done by worker A');
      await a.close();
      const b = startRotationWorker(deps('B'), { connection: r.client(), prefix, concurrency: 1 });
      workers.push(b);
      const ended = await eventually(async () => (await ledger.get(run.id))?.run, (x) => x?.status !== 'running', 'run ended', 60_000);
      expect(ended?.status, JSON.stringify(ended?.steps.map((s) => [s.kind, s.status, s.error]))).toBe('completed');
      await b.close();
      expect(ran.A).toBe(1);
      expect(ran.B).toBe(run.steps.length - 1);

      const steps = t.spans('keysteward.rotation.step');
      for (const s of steps) {
        expect(s.spanContext().traceId).toBe(root.spanContext().traceId);
        expect(s.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
        expect(s.kind).toBe(SpanKind.CONSUMER);
      }
      // Each step executed once, done, first attempt, with its replica.
      const done = steps.filter((s) => s.attributes['keysteward.step.outcome'] === 'done').sort((x, y) => Number(x.attributes['keysteward.step.n']) - Number(y.attributes['keysteward.step.n']));
      expect(done).toHaveLength(run.steps.length);
      expect(steps).toHaveLength(run.steps.length);
      for (const [i, step] of run.steps.entries()) {
        expect(done[i]?.attributes).toEqual({
          'keysteward.rotation.id': run.id,
          'keysteward.step.n': step.n,
          'keysteward.step.kind': step.kind,
          'keysteward.step.attempt': 1,
          'keysteward.step.outcome': 'done',
          'keysteward.protector': 'orders',
          'messaging.system': 'bullmq',
          'messaging.destination.name': ROTATION_QUEUE,
          ...(step.vault ? { 'keysteward.vault': step.vault } : {}),
          ...(step.role ? { 'keysteward.member.role': step.role } : {}),
        });
      }
      expect(done.filter((s) => s.attributes['keysteward.step.kind'] === 'install-version').map((s) => [s.attributes['keysteward.member.role'], s.attributes['keysteward.vault']])).toEqual([
        ['secondary', 'kv-wus'],
        ['primary', 'kv-eus'],
      ]);

      // Step durations: one point per kind (all done), counting its executions.
      const perKind = new Map<string, number>();
      for (const s of run.steps) perKind.set(s.kind, (perKind.get(s.kind) ?? 0) + 1);
      const durations = await t.histogram('keysteward.rotation.step.duration');
      expect(Object.fromEntries(durations.map((p) => [`${p.attributes['keysteward.step.kind']}/${p.attributes['keysteward.step.outcome']}`, p.value.count]))).toEqual(
        Object.fromEntries([...perKind].map(([kind, n]) => [`${kind}/done`, n])),
      );
      expect(durations.every((p) => p.value.sum >= 0)).toBe(true);
      expect(await depthOf()).toEqual({ 'keysteward-rotation/waiting': 0, 'keysteward-rotation/active': 0, 'keysteward-rotation/delayed': 0 });

      // I8: none of the key material this run generated, sealed or imported appears in a span, a metric or a job.
      expect(keys.imported).toHaveLength(2);
      expect(staged).toHaveLength(1);
      const secrets = [
        ...keys.imported.flatMap((jwk) => Object.values(jwk).filter((v): v is string => typeof v === 'string' && v.length >= 16)),
        ...staged,
        ...staged.flatMap((s) => s.split(/[^A-Za-z0-9_-]+/).filter((part) => part.length >= 16)),
      ];
      expect(secrets.length).toBeGreaterThan(8);
      const metricData = (await Promise.all(['keysteward.rotation.step.duration', 'keysteward.queue.depth'].map((n) => t.metric(n)))).filter((m) => m !== undefined);
      const texts = attributeTexts(t.spans(), metricData);
      const jobTexts = await Promise.all(run.steps.map(async (s) => JSON.stringify((await jobs.getJob(stepJobId(run.id, s.n)))?.data ?? null)));
      for (const secret of secrets) {
        for (const text of [...texts, ...jobTexts]) expect(text.includes(secret), 'key material in telemetry or job data').toBe(false);
      }
      await jobs.close();
    } finally {
      depth.stop();
      for (const w of workers) await w.close();
      await queue.close();
    }
  }, 90_000);

  it('a run re-queued by the reconciler after Redis lost its jobs stays in the trace it began (the ledger keeps its traceparent)', async () => {
    const r = redis();
    const prefix = `${r.prefix()}bull`;
    const ledger = new MemoryRotationLedger();
    const queue = createRotationQueue({ connection: r.client(), prefix });
    const jobs = new Queue<StepJobData>(ROTATION_QUEUE, { connection: r.client(), prefix });
    try {
      const deps: RotationDeps = { estates: fixedEstate(estate), ledger, keys: new FakeKeys(['kv-eus', 'kv-wus']), protectors: new FakeArm(), clock: { now: () => Date.now() }, claimClock: { now: async () => Date.now() }, log: silentLogger, vaultUrl: (v) => `https://${v}.vault.azure.net/`, claimMs: 30_000, newToken: () => randomUUID() };
      const started = await startRotation({ ...deps, state: new MemoryStateStore(), queue }, 'orders', { requestedBy: 'test' });
      if (started.kind !== 'started') throw new Error(`not started: ${JSON.stringify(started)}`);
      const [root] = telemetry().spans('keysteward.rotation.run');
      if (!root) throw new Error('no root span');
      const traceparent = `00-${root.spanContext().traceId}-${root.spanContext().spanId}-01`;
      const recorded = (await ledger.get(started.run.id))?.run;
      expect(recorded?.traceparent).toBe(traceparent);
      // Redis loses the jobs (a flush, a failover to an empty replica); the sweep re-queues the run from the ledger,
      // outside any span.
      await jobs.obliterate({ force: true });
      expect(await queue.reconcile(recorded ? [recorded] : [])).toEqual([started.run.id]);
      for (const s of started.run.steps) expect((await jobs.getJob(stepJobId(started.run.id, s.n)))?.data).toEqual({ runId: started.run.id, n: s.n, traceparent });
    } finally {
      await jobs.close();
      await queue.close();
    }
  });
});
