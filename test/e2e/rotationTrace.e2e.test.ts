// One trace per rotation run across worker *processes*: the host (in this process, spans to an in-memory exporter)
// opens the run's root span and queues the steps with its traceparent in their job data; two `keysteward worker`
// processes, one after the other, run the steps and export their spans over OTLP/HTTP to a local receiver (standing in
// for a collector) when they stop. Every step span is in the run's trace, a child of its root, from two process
// instances.
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../adapters/logging/logger.js';
import { startTelemetry, type Telemetry } from '../../adapters/telemetry/setup.js';
import type { RotationRun } from '../../domain/rotation/run.js';
import { spawnLocalWorker } from '../support/localWorker.js';
import { startLocalStack, type LocalStack } from '../../hosts/local/stack.js';
import { eventually } from '../support/eventually.js';
import { NO_EXPORT } from '../support/telemetry.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ESTATE = `${ROOT}demo/service-estate.json`;

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly attributes: Array<{ key: string; value: { stringValue?: string; intValue?: number | string } }>;
}
interface OtlpTraces {
  readonly resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
}

let stack: LocalStack;
let telemetry: Telemetry;
let collector: Server;
let collectorUrl: string;
const exporter = new InMemorySpanExporter();
const posted: OtlpTraces[] = [];

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') posted.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpTraces);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  telemetry = await startTelemetry(NO_EXPORT, 'serve', { spanProcessors: [new SimpleSpanProcessor(exporter)] });
  stack = await startLocalStack({ estatePath: ESTATE, port: 0, log: silentLogger, trafficEveryMs: 0, timers: false, feedIntervalMs: 60_000, env: { ROTATION_WORKER: 'false' } });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await telemetry?.shutdown();
  await new Promise<void>((r) => (collector ? collector.close(() => r()) : r()));
});

function startWorker(): ChildProcess {
  return spawnLocalWorker(stack, {
    OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
    // One step job at a time, so the first worker stops after few steps and the second has steps left to run.
    ROTATION_CONCURRENCY: '1',
  });
}

/** Stops a worker as an orchestrator does (SIGTERM): it finishes its step, flushes its spans and exits. */
async function stop(worker: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  worker.kill('SIGTERM');
  await exited;
}

const getRun = async (id: string): Promise<RotationRun> => (await (await fetch(`${stack.host.url}/api/rotations/${id}`)).json()) as RotationRun;

describe('a rotation run across worker processes', () => {
  it('is one trace: the root span in the host, each step a child span exported by whichever process ran it', async () => {
    const res = await fetch(`${stack.host.url}/api/protectors/orders-sql/rotations`, { method: 'POST', body: JSON.stringify({ requestedBy: 'test' }) });
    const run = (await res.json()) as RotationRun;
    expect(res.status, JSON.stringify(run)).toBe(202);
    const [root] = exporter.getFinishedSpans().filter((s) => s.name === 'keysteward.rotation.run' && s.attributes['keysteward.rotation.id'] === run.id);
    if (!root) throw new Error('no root span for the run');

    const first = startWorker();
    await eventually(() => getRun(run.id), (r) => r.steps.some((s) => s.status === 'done'), 'a first step done by the first worker', 60_000);
    await stop(first);
    const atStop = await getRun(run.id);
    expect(atStop.steps.some((s) => s.status !== 'done'), 'the first worker must leave steps to the second').toBe(true);
    const second = startWorker();
    try {
      const ended = await eventually(() => getRun(run.id), (r) => r.status !== 'running', 'run ended', 90_000);
      expect(ended.status, JSON.stringify(ended.steps)).toBe('completed');
    } finally {
      await stop(second);
    }

    const exported = posted.flatMap((p) =>
      p.resourceSpans.flatMap((rs) => {
        const instance = rs.resource.attributes.find((a) => a.key === 'service.instance.id')?.value.stringValue;
        const role = rs.resource.attributes.find((a) => a.key === 'keysteward.host.role')?.value.stringValue;
        return rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, instance, role })));
      }),
    );
    const steps = exported.filter((s) => s.name === 'keysteward.rotation.step');
    const done = steps.filter((s) => s.attributes.some((a) => a.key === 'keysteward.step.outcome' && a.value.stringValue === 'done'));
    expect(new Set(done.map((s) => Number(s.attributes.find((a) => a.key === 'keysteward.step.n')?.value.intValue)))).toEqual(new Set(run.steps.map((s) => s.n)));
    for (const s of steps) {
      expect(s.traceId).toBe(root.spanContext().traceId);
      expect(s.parentSpanId).toBe(root.spanContext().spanId);
      expect(s.role).toBe('worker');
    }
    expect(new Set(steps.map((s) => s.instance)).size).toBe(2);
  }, 180_000);
});
