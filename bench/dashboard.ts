// The operator console's first byte (DESIGN.md §7 dashboard.p99Ms) for the scale estate — 10,000 SQL TDE protectors
// (1 primary + 1 secondary each), 500 of them with an open incident — next to GET /api/protectors on the same data in
// the same run. The real standalone host (hosts/standalone/serve.ts) on Azurite and the machine's Redis; each request
// is a fresh HTTP GET timed from sending to the response's first byte (headers), sequentially.
// The console answers from a view built by one paged scan of the state table and shared by every viewer for a
// second (then served while the next is built): `coldMs` is the first request, which waits for the first scan.
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../app/ports.js';
import { serve } from '../hosts/standalone/serve.js';
import { startScaleRig } from './scaleRig.js';

export interface DashboardBenchOptions {
  readonly protectors?: number;
  readonly incidents?: number;
  /** Requests timed per route (default 200 for the console, 5 for the whole GET /api/protectors, megabytes at 10,000). */
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
  const rig = await startScaleRig({ ...o, lostMinutesAgo: 5, tag: 'dash' });
  const { count, incidents, estate } = rig;
  say(`${count} protectors, ${incidents} with an open incident`);
  const config = rig.config({ DISCOVERY_ENABLED: 'false', PORT: '0' });
  say(`states written in ${Math.round(await rig.seedStates())} ms`);
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
    // One page of 100 from the middle of the id order: what a client walking the estate waits on per request.
    const middle = [...estate.protectors].map((p) => p.id).sort()[Math.floor(estate.protectors.length / 2)] ?? '';
    const apiPage = await timeRoute(`${host.url}/api/protectors?limit=100&after=${encodeURIComponent(middle)}`, Math.min(samples, 100));
    say(`GET /api/protectors?limit=100: p50 ${apiPage.p50Ms} ms, p99 ${apiPage.p99Ms} ms over ${apiPage.samples}`);
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
      api: { protectors: { p99Ms: api.p99Ms, p50Ms: api.p50Ms, samples: api.samples, bytes: api.bytes }, protectorsPage100: { p99Ms: apiPage.p99Ms, p50Ms: apiPage.p50Ms, samples: apiPage.samples, bytes: apiPage.bytes } },
      // How many times longer the API's first byte takes than the console's, same data, same run.
      apiToDashboardP99Ratio: round(api.p99Ms / board.p99Ms),
      protectors: count,
      openIncidents: incidents,
    };
  } finally {
    await host.close();
    await rig.close();
  }
}

