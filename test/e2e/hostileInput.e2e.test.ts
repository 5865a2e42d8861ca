// Hostile and oversized input against the real standalone host: `keysteward serve` spawned as a user runs it,
// with Table Storage on Azurite, the machine's Redis and a test estate. One Event Grid delivery of 100,000 malformed
// events (with the key), 1 MB of nested JSON to every JSON route, an oversized body to every route — and afterwards
// the host still answers health, is alive, and holds a bounded number of sockets. Durations are printed, never
// asserted. The Event Hubs path is driven in-process through the same handler, against the same Azurite.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TablePoisonStore } from '../../adapters/tables/poisonStore.js';
import { silentLogger } from '../../adapters/logging/logger.js';
import { signHubSignature } from '../../adapters/webhook/hubSignature.js';
import { signStandardWebhook } from '../../adapters/webhook/standardWebhooks.js';
import { MAX_JSON_DEPTH } from '../../app/jsonInput.js';
import type { EventHubInput, EventHubTrigger, FunctionDefinition } from '../../functions/definitions.js';
import { functionDefinitions } from '../../functions/list.js';
import { createServices } from '../../hosts/composition.js';
import { loadConfig } from '../../hosts/config.js';
import { startAzurite, type Azurite } from '../../hosts/local/azurite.js';
import { freePort } from '../../hosts/local/ports.js';
import { connectRedisForLocal, type LocalRedis } from '../../hosts/local/redis.js';
import { ROOT } from '../support/cli.js';
import { FIXTURES } from '../support/estates.js';

const EVENTGRID_KEY = `eg-${randomUUID()}`;
const API_KEY = `api-${randomUUID()}`;
const STANDARD_SECRET = `whsec_${Buffer.from(`hostile-standard-${randomUUID()}`).toString('base64')}`;
const JIRA_SECRET = `hostile-jira-${randomUUID()}`;
const JSM_TOKEN = `hostile-jsm-${randomUUID()}`;
const NEVER = '0 0 0 1 1 *'; // timers once a year: nothing but the requests below runs in the host

let azurite: Azurite;
let redis: LocalRedis;
let host: ChildProcess;
let base = '';
let output = '';
const timings: Record<string, number> = {};

function hostEnv(port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '',
    KEYSTEWARD_ESTATE: `${FIXTURES}estate/contoso.estate.json`,
    STORAGE_CONNECTION_STRING: azurite.connectionString,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `keysteward-hostile-${randomUUID().slice(0, 8)}:`,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    EVENTGRID_KEY,
    API_KEY,
    ITSM_STANDARD_SECRETS: STANDARD_SECRET,
    ITSM_JIRA_SECRETS: JIRA_SECRET,
    ITSM_JSM_TOKENS: JSM_TOKEN,
    ROTATION_WORKER: 'false',
    SWEEP_SCHEDULE: NEVER,
    RECONCILE_SCHEDULE: NEVER,
    ROTATION_SCHEDULE: NEVER,
    ITSM_SCHEDULE: NEVER,
  };
}

interface Reply {
  readonly status: number;
  readonly body: string;
}

/** node:http rather than fetch: GET with a body, and no client-side timeout on a long delivery. */
function send(method: string, path: string, body: string | Buffer = '', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { 'content-type': 'application/json', ...headers, ...(body.length > 0 ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const apiKey = { 'x-api-key': API_KEY };
const errorOf = (r: Reply): string => (JSON.parse(r.body) as { error: string }).error;

/** Sockets the host process holds open (Linux: /proc/<pid>/fd entries that are sockets). */
function openSockets(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false; // closed while listing
    }
  }).length;
}

const alive = (): boolean => host.exitCode === null && host.signalCode === null;

beforeAll(async () => {
  azurite = await startAzurite();
  redis = await connectRedisForLocal();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  host = spawn(process.execPath, [`${ROOT}dist/cli/main.js`, 'serve'], { cwd: ROOT, env: hostEnv(port), stdio: ['ignore', 'pipe', 'pipe'] });
  host.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  host.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  for (let i = 0; i < 120 && !output.includes('keysteward serving on'); i++) {
    if (!alive()) throw new Error(`keysteward serve exited (${host.exitCode ?? host.signalCode}):\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  expect((await send('GET', '/api/health')).status).toBe(200);
}, 120_000);

afterAll(async () => {
  if (host && alive()) {
    const exited = new Promise((r) => host.once('exit', r));
    host.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (alive()) host.kill('SIGKILL');
  }
  process.stderr.write(`[hostile-e2e] timings ms ${JSON.stringify(timings)}\n`);
  await azurite?.close();
  await redis?.close();
});

describe('hostile and oversized input against keysteward serve', () => {
  it('one Event Grid delivery of 100,000 malformed events: success with every event in the poison table, or a 5xx the sender retries whole', async () => {
    const body = `[${Array.from({ length: 100_000 }, () => '{"x":1}').join(',')}]`;
    expect(body.length).toBeLessThan(1_048_576);
    const partitionId = `eventgrid-${createHash('sha256').update(body).digest('hex').slice(0, 24)}`;
    let reply: Reply = { status: 0, body: '' };
    // As Event Grid would: a 5xx is retried with the same body (the retries rewrite the same poison rows).
    for (let attempt = 1; attempt <= 3; attempt++) {
      const t0 = performance.now();
      reply = await send('POST', '/api/events/eventgrid', body, { 'aeg-sas-key': EVENTGRID_KEY, 'aeg-delivery-count': String(attempt - 1) });
      timings[`eventGrid100k.attempt${attempt}`] = Math.round(performance.now() - t0);
      process.stderr.write(`[hostile-e2e] 100,000-event delivery attempt ${attempt}: ${reply.status} in ${timings[`eventGrid100k.attempt${attempt}`]} ms\n`);
      if (reply.status < 500) break;
    }
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ received: 100_000, rejected: 100_000 });

    const t0 = performance.now();
    const stored = (await new TablePoisonStore({ connectionString: azurite.connectionString }).list(1_000_000)).filter((p) => p.partitionId === partitionId);
    timings['poisonCount'] = Math.round(performance.now() - t0);
    expect(stored).toHaveLength(100_000);
    expect(new Set(stored.map((p) => p.recordIndex)).size).toBe(100_000);
    expect(stored.every((p) => p.reason === 'unrecognised record' && p.body === '{"x":1}')).toBe(true);
    // Nothing but poison: the malformed events touched no protector.
    const detail = await send('GET', '/api/protectors/orders-sql', '', apiKey);
    expect(detail.status).toBe(200);
    expect(JSON.parse(detail.body)).toMatchObject({ id: 'orders-sql', openIncidents: 0 });
    expect(alive()).toBe(true);
  }, 900_000);

  it('1 MB of nested JSON to every JSON route is 400 (or 413 where the route caps bodies lower), never a crash', async () => {
    const arrays = `${'['.repeat(500_000)}${']'.repeat(500_000)}`;
    const objects = `${'{"a":'.repeat(170_000)}1${'}'.repeat(170_000)}`;
    const tooDeep = `JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
    for (const nested of [arrays, objects]) {
      expect(nested.length).toBeGreaterThanOrEqual(1_000_000);
      expect(nested.length).toBeLessThan(1_048_576 + 65_536);
      const t0 = performance.now();
      const grid = await send('POST', '/api/events/eventgrid', nested, { 'aeg-sas-key': EVENTGRID_KEY });
      timings['eventGridNested'] = Math.round(performance.now() - t0);
      expect(grid.status).toBe(400);
      expect(errorOf(grid)).toBe(tooDeep);
      for (const path of ['/api/itsm/standard', '/api/itsm/jira', '/api/itsm/jsm-automation', '/api/protectors/orders-sql/rotations', '/api/protectors/orders-sql/rewraps']) {
        expect((await send('POST', path, nested, apiKey)).status).toBe(413);
      }
    }

    // Within the smaller caps, and authenticated as each sender: the parse bound answers, not the size cap.
    const small = (n: number): string => `{"timestamp":${Date.now()},"a":${'{"a":'.repeat(n)}1${'}'.repeat(n + 1)}`;
    const itsmBody = small(10_000);
    expect(itsmBody.length).toBeLessThan(64 * 1024);
    const id = `hostile-${randomUUID().slice(0, 8)}`;
    const ts = Math.floor(Date.now() / 1000);
    const replies = [
      await send('POST', '/api/itsm/standard', itsmBody, { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook({ id, timestamp: ts, body: itsmBody, secret: STANDARD_SECRET }) }),
      await send('POST', '/api/itsm/jira', itsmBody, { 'x-atlassian-webhook-identifier': id, 'x-hub-signature': signHubSignature(JIRA_SECRET, itsmBody) }),
      await send('POST', '/api/itsm/jsm-automation', itsmBody, { authorization: `Bearer ${JSM_TOKEN}` }),
      await send('POST', '/api/protectors/orders-sql/rotations', small(2_000), apiKey),
      await send('POST', '/api/protectors/orders-sql/rewraps', small(2_000), apiKey),
    ];
    for (const r of replies) expect([r.status, errorOf(r)]).toEqual([400, tooDeep]);
    expect(alive()).toBe(true);
  }, 120_000);

  it('an oversized body to every route is 413, checked while reading', async () => {
    const huge = Buffer.alloc(2 * 1024 * 1024, 'x');
    const routes: Array<[string, string]> = [
      ['POST', '/api/events/eventgrid'],
      ['OPTIONS', '/api/events/eventgrid'],
      ['GET', '/api/health'],
      ['GET', '/api/protectors'],
      ['GET', '/api/protectors/orders-sql'],
      ['POST', '/api/protectors/orders-sql/rotations'],
      ['POST', `/api/protectors/orders-sql/versions/kv-cmk-prod-eus/${'0'.repeat(32)}/disable`],
      ['GET', '/api/rotations/nope'],
      ['POST', '/api/protectors/orders-sql/rewraps'],
      ['GET', '/api/rewraps/nope'],
      ['POST', '/api/itsm/standard'],
      ['POST', '/api/itsm/jira'],
      ['POST', '/api/itsm/jsm-automation'],
      ['GET', '/api/itsm/requests/nope'],
      ['GET', '/api/dashboard'],
      ['GET', '/'],
    ];
    for (const [method, path] of routes) {
      const r = await send(method, path, huge, { ...apiKey, 'aeg-sas-key': EVENTGRID_KEY });
      expect([method, path, r.status]).toEqual([method, path, 413]);
    }
    // Just over the Event Grid cap (1 MiB + 64 KiB) is refused too; just under it is read and judged.
    expect((await send('POST', '/api/events/eventgrid', Buffer.alloc(1_048_576 + 65_537, ' '), { 'aeg-sas-key': EVENTGRID_KEY })).status).toBe(413);
    expect((await send('POST', '/api/events/eventgrid', `[${' '.repeat(1_048_576)}]`, { 'aeg-sas-key': EVENTGRID_KEY })).status).toBe(200);
    expect(alive()).toBe(true);
  }, 120_000);

  it('Event Hubs bodies nested past the bound (text, bytes, parsed) are poison records in Table Storage, and the handler returns', async () => {
    const services = await createServices(loadConfig(hostEnv(0)), { log: silentLogger, rotationWorker: false });
    try {
      const kvAudit = functionDefinitions(services).find((d): d is Extract<FunctionDefinition, { trigger: EventHubTrigger }> => d.name === 'kvAudit')?.handler;
      const arrays = `${'['.repeat(500_000)}${']'.repeat(500_000)}`;
      const partitionId = `hostile-${randomUUID().slice(0, 8)}`;
      const input: EventHubInput = {
        messages: [arrays, Buffer.from(arrays), JSON.parse(arrays) as unknown, { records: [JSON.parse(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`) as unknown] }],
        partitionId,
        offsets: ['0', '1', '2', '3'],
        sequenceNumbers: [0, 1, 2, 3],
        lastAttempt: false,
      };
      await kvAudit?.(input);
      const stored = (await new TablePoisonStore({ connectionString: azurite.connectionString }).list(1_000_000)).filter((p) => p.partitionId === partitionId);
      expect(stored.map((p) => [p.sequenceNumber, p.recordIndex])).toEqual([[0, 0], [1, 0], [2, 0], [3, 0]]);
      expect(stored.slice(0, 2).map((p) => p.reason)).toEqual([`JSON nested deeper than ${MAX_JSON_DEPTH} levels`, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`]);
      expect(stored[0]?.body.startsWith('[[[[')).toBe(true);
      expect(stored.slice(2).map((p) => p.body)).toEqual([`(not stored: JSON nested deeper than ${MAX_JSON_DEPTH} levels)`, `(not stored: JSON nested deeper than ${MAX_JSON_DEPTH} levels)`]);
    } finally {
      await services.close();
    }
  }, 120_000);

  it('afterwards the host answers health, is alive, and holds a bounded number of sockets', async () => {
    const health = await send('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', dependencies: { tableStorage: { status: 'up' }, redis: { status: 'up' } } });
    expect(alive()).toBe(true);
    const sockets = openSockets(host.pid ?? 0);
    process.stderr.write(`[hostile-e2e] host holds ${sockets} sockets\n`);
    expect(sockets).toBeGreaterThan(0);
    expect(sockets).toBeLessThanOrEqual(64);
    expect(output).not.toMatch(/EMFILE|Maximum call stack|RangeError/);
  });
});
