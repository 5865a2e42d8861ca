// ITSM acceptance throughput (DESIGN.md §7 itsm.*): signed Standard Webhooks requests posted to the standalone host
// over HTTP, each verified (HMAC over the raw bytes), durably recorded in Table Storage (Azurite) and queued in BullMQ
// (Redis) before its 202 — the work an ITSM sender waits for. No worker runs, so nothing else competes for the CPU.
// Checks that every request got a 202 and has its record and its job.
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { silentLogger } from '../adapters/logging/logger.js';
import { signStandardWebhook } from '../adapters/webhook/standardWebhooks.js';
import { LOCAL_ITSM } from '../hosts/local/itsmSecrets.js';
import { startLocalStack } from '../hosts/local/stack.js';
import { ITSM_QUEUE } from '../adapters/queue/itsmQueue.js';

const ESTATE = fileURLToPath(new URL('../../demo/service-estate.json', import.meta.url));
const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const round = (n: number): number => Math.round(n * 10) / 10;

export interface ItsmBench {
  acceptedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  concurrency: number;
  accepted: number;
  recorded: number;
  queued: number;
}

export async function benchItsm(requests = 2000, concurrency = 16): Promise<ItsmBench> {
  const stack = await startLocalStack({ estatePath: ESTATE, port: 0, log: silentLogger, trafficEveryMs: 0, timers: false, feedIntervalMs: 3_600_000, env: { ROTATION_WORKER: 'false' } });
  const url = `${stack.host.url}/api/itsm/standard`;
  const body = (i: number): string => JSON.stringify({ type: 'keysteward.rotation.requested', action: 'dry-run', protector: 'orders-sql', ticket: { system: 'servicenow', number: 'CHG0030001' }, requestedBy: `bench-${i}` });
  const post = async (i: number, prefix: string): Promise<{ ms: number; status: number; id: string | null }> => {
    const raw = body(i);
    const id = `${prefix}-${i}`;
    const t0 = performance.now();
    // Signing is the sender's work, but it is inside the timing: a sender's timeout counts from before it signs.
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook({ id, timestamp, body: raw, secret: LOCAL_ITSM.standardSecret }) }, body: raw });
    const reply = (await res.json()) as { id?: string };
    return { ms: performance.now() - t0, status: res.status, id: reply.id ?? null };
  };
  const run = async (n: number, prefix: string): Promise<Array<{ ms: number; status: number; id: string | null }>> => {
    const out: Array<{ ms: number; status: number; id: string | null }> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) out.push(await post(next++, prefix));
      }),
    );
    return out;
  };
  const queue = new Queue(ITSM_QUEUE, { connection: { url: stack.config.REDIS_URL }, prefix: `${stack.config.REDIS_KEY_PREFIX}bull` });
  try {
    await run(100, 'warm'); // connections, JIT, tables created
    const t0 = performance.now();
    const results = await run(requests, 'bench');
    const seconds = (performance.now() - t0) / 1000;
    const accepted = results.filter((r) => r.status === 202);
    const ids = new Set(accepted.map((r) => r.id));
    let recorded = 0;
    for (const id of ids) if (id && (await stack.host.services.getItsmRequest(id))) recorded++;
    let queued = 0;
    for (const id of ids) if (id && (await queue.getJob(id))) queued++;
    const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
    return {
      acceptedPerSec: round(accepted.length / seconds),
      p50Ms: round(percentile(sorted, 50)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted[sorted.length - 1] ?? NaN),
      requests,
      concurrency,
      accepted: accepted.length,
      recorded,
      queued,
    };
  } finally {
    await queue.close();
    await stack.close();
  }
}
