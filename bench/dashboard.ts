// The operator console's first byte (DESIGN.md §7 dashboard.p99Ms) for the scale estate — 10,000 SQL TDE protectors
// (1 primary + 1 secondary each), 500 of them with an open incident — next to GET /api/protectors on the same data in
// the same run. The real standalone host (hosts/standalone/serve.ts) on Azurite and the machine's Redis; each request
// is a fresh HTTP GET timed from sending to the response's first byte (headers), sequentially.
// The console answers from a view built by one paged scan of the state table and shared by every viewer for a
// second (then served while the next is built): `coldMs` is the first request, which waits for the first scan.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mapLimit } from '../app/concurrency.js';
import type { Logger } from '../app/ports.js';
import { TableStateStore } from '../adapters/tables/stateStore.js';
import { createRedis } from '../adapters/redis/client.js';
import { loadConfig } from '../hosts/config.js';
import { startAzurite } from '../hosts/local/azurite.js';
import { connectRedisForLocal } from '../hosts/local/redis.js';
import { serve } from '../hosts/standalone/serve.js';
import { indexEstate } from '../domain/estate/index.js';
import { scaleEstate, scaleEstateDoc, scaleFold, scaleSnapshot } from './scaleEstate.js';

export interface DashboardBenchOptions {
  readonly protectors?: number;
  readonly incidents?: number;
  /** Requests timed per route (default 200 for the console, 5 for GET /api/protectors, which reads every state one by one). */
  readonly samples?: number;
}

const say = (text: string): void => void process.stderr.write(`bench dashboard: ${text}\n`);
const round = (n: number): number => Math.round(n * 10) / 10;
const quantile = (xs: readonly number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
};

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Milliseconds to the first byte of the answer (status line and headers), and the body's size once read. */
function timeToFirstByte(url: string): Promise<{ ms: number; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { headers: { accept: 'text/html' }, agent: false }, (res) => {
      const ms = performance.now() - t0;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ ms, bytes, status: res.statusCode ?? 0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function timeRoute(url: string, samples: number): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; samples: number; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < samples; i++) {
    const r = await timeToFirstByte(url);
    if (r.status !== 200) throw new Error(`${url} answered ${r.status}`);
    ms.push(r.ms);
    bytes = r.bytes;
  }
  return { p50Ms: round(quantile(ms, 0.5)), p99Ms: round(quantile(ms, 0.99)), maxMs: round(Math.max(...ms)), samples, bytes };
}

export async function benchDashboard(o: DashboardBenchOptions = {}): Promise<Record<string, unknown>> {
  const count = o.protectors ?? 10_000;
  const incidents = Math.min(count, o.incidents ?? 500);
  const every = Math.max(1, Math.floor(count / Math.max(1, incidents)));
  // Access lost 5 minutes ago: every incident is open with both deadlines ahead, as the board shows them at 03:00.
  const incidentOf = (i: number): { lostMinutesAgo: number } | undefined => (i % every === 0 && i / every < incidents ? { lostMinutesAgo: 5 } : undefined);
  const now = Date.now();
  const prefix = `keysteward-bench-dash-${randomUUID().slice(0, 8)}:`;
  say(`${count} protectors, ${incidents} with an open incident`);
  const estate = scaleEstate(count);
  const fold = scaleFold(indexEstate(estate), now, incidentOf);
  const dir = await mkdtemp(join(tmpdir(), 'keysteward-bench-dashboard-'));
  const estatePath = join(dir, 'estate.json');
  await writeFile(estatePath, JSON.stringify(scaleEstateDoc(count)));
  const localRedis = await connectRedisForLocal();
  const azurite = await startAzurite();
  const config = loadConfig({
    ...process.env,
    KEYSTEWARD_MODE: 'local',
    KEYSTEWARD_ESTATE: estatePath,
    STORAGE_CONNECTION_STRING: azurite.connectionString,
    REDIS_URL: localRedis.url,
    REDIS_KEY_PREFIX: prefix,
    ROTATION_WORKER: 'false',
    DISCOVERY_ENABLED: 'false',
    PORT: '0',
  });
  const state = new TableStateStore({ connectionString: azurite.connectionString });
  const t0 = performance.now();
  await mapLimit(estate.protectors, 32, async (p) => {
    const saved = await state.save(p.id, scaleSnapshot(fold, p, now), null);
    if (!saved.ok) throw new Error(`seed conflict on ${p.id}`);
  });
  say(`states written in ${Math.round(performance.now() - t0)} ms`);
  const host = await serve(config, { log: quiet, timers: false, rotationWorker: false, discovery: null });
  try {
    const cold = await timeToFirstByte(`${host.url}/`);
    say(`first console request (builds the view): ${Math.round(cold.ms)} ms, ${cold.bytes} bytes`);
    const samples = o.samples ?? 200;
    const board = await timeRoute(`${host.url}/`, samples);
    say(`console /: p50 ${board.p50Ms} ms, p99 ${board.p99Ms} ms over ${samples}`);
    const filtered = await timeRoute(`${host.url}/?health=access_lost&page=3`, Math.min(samples, 100));
    const searched = await timeRoute(`${host.url}/?q=sql-ledger-0&kind=sql-tde`, Math.min(samples, 100));
    const protectorPage = await timeRoute(`${host.url}/protectors/${encodeURIComponent(estate.protectors[0]?.id ?? '')}`, Math.min(samples, 100));
    const apiSamples = Math.max(3, Math.min(samples, 5));
    const api = await timeRoute(`${host.url}/api/protectors`, apiSamples);
    say(`GET /api/protectors: p50 ${api.p50Ms} ms, p99 ${api.p99Ms} ms over ${apiSamples}`);
    return {
      p99Ms: board.p99Ms,
      p50Ms: board.p50Ms,
      maxMs: board.maxMs,
      coldMs: round(cold.ms),
      samples: board.samples,
      pageBytes: board.bytes,
      filtered: { p50Ms: filtered.p50Ms, p99Ms: filtered.p99Ms },
      searched: { p50Ms: searched.p50Ms, p99Ms: searched.p99Ms },
      protectorPage: { p50Ms: protectorPage.p50Ms, p99Ms: protectorPage.p99Ms },
      api: { protectors: { p99Ms: api.p99Ms, p50Ms: api.p50Ms, samples: api.samples, bytes: api.bytes } },
      // How many times longer the API's first byte takes than the console's, same data, same run.
      apiToDashboardP99Ratio: round(api.p99Ms / board.p99Ms),
      protectors: count,
      openIncidents: incidents,
    };
  } finally {
    await host.close();
    const redis = createRedis(localRedis.url, { name: 'keysteward-bench' });
    await deleteKeys(redis, prefix).catch(() => undefined);
    redis.disconnect();
    await azurite.close();
    await localRedis.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function deleteKeys(redis: ReturnType<typeof createRedis>, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (batch.length > 0) await redis.unlink(...batch);
  } while (cursor !== '0');
}
