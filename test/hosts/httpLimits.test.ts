// The standalone host's HTTP server over the real route list: each route reads its body only up to its own limit
// (413 past it, the handler never runs), JSON nested past the bound is 400, and an Event Grid delivery that cannot
// be applied in full is a 5xx (Event Grid redelivers it), never a 200 with part of it lost.
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../adapters/logging/logger.js';
import type { IngestMessage } from '../../app/ingestion.js';
import { MAX_ITSM_BODY } from '../../app/itsm/accept.js';
import { DEFAULT_MAX_BODY_BYTES, maxBodyBytesOf, type FunctionDefinition, type HttpTrigger } from '../../functions/definitions.js';
import { MAX_EVENT_GRID_BODY } from '../../functions/http.js';
import { functionDefinitions } from '../../functions/list.js';
import type { Services } from '../../functions/services.js';
import { createHttpServer } from '../../hosts/standalone/httpServer.js';
import { routesOf } from '../../hosts/standalone/router.js';

const calls: string[] = [];
let ingestFails = false;
const services = {
  config: { auditEventHub: { connection: 'A', name: 'a', consumerGroup: '$Default' }, activityEventHub: { connection: 'B', name: 'b', consumerGroup: '$Default' }, sweepSchedule: '* * * * * *', reconcileSchedule: '* * * * * *', rotationSchedule: '* * * * * *', itsmSchedule: '* * * * * *', eventGridKey: undefined },
  clock: { now: () => 0 },
  log: silentLogger,
  ingest: async (messages: readonly IngestMessage[]) => {
    calls.push('ingest');
    if (ingestFails) throw new Error('poison table: transaction failed halfway');
    return { records: messages.length, matched: 0, ignored: 0, rejected: 0, protectorsChanged: 0, conflicts: 0, alertsClaimed: 0, discoveryTriggers: 0 };
  },
  startRotation: async () => {
    calls.push('startRotation');
    return { kind: 'unknown-protector' };
  },
  startRewrap: async () => {
    calls.push('startRewrap');
    return { kind: 'unknown-protector', error: 'unknown protector' };
  },
  receiveItsm: async () => {
    calls.push('receiveItsm');
    return { kind: 'unknown-profile' };
  },
  checkHealth: async () => ({}),
} as unknown as Services;

const definitions = functionDefinitions(services);
const server = createHttpServer(routesOf(definitions), silentLogger);
let port = 0;
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function send(method: string, path: string, body: Buffer | string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const limitOf = (name: string): number => maxBodyBytesOf((definitions.find((d) => d.name === name) as Extract<FunctionDefinition, { trigger: HttpTrigger }>).trigger);

describe('body limits per route', () => {
  it('Event Grid allows its 1 MB batch and a little more, ITSM 64 KiB, everything else 16 KiB', () => {
    expect(MAX_EVENT_GRID_BODY).toBe(1_048_576 + 65_536);
    expect(limitOf('eventGrid')).toBe(MAX_EVENT_GRID_BODY);
    expect(limitOf('itsmWebhook')).toBe(MAX_ITSM_BODY);
    for (const d of definitions) if (d.trigger.type === 'http' && !['eventGrid', 'itsmWebhook'].includes(d.name)) expect([d.name, limitOf(d.name)]).toEqual([d.name, DEFAULT_MAX_BODY_BYTES]);
  });

  it.each([
    ['POST', '/api/events/eventgrid', MAX_EVENT_GRID_BODY],
    ['POST', '/api/itsm/standard', MAX_ITSM_BODY],
    ['POST', '/api/protectors/p/rotations', DEFAULT_MAX_BODY_BYTES],
    ['POST', '/api/protectors/p/rewraps', DEFAULT_MAX_BODY_BYTES],
    ['GET', '/api/health', DEFAULT_MAX_BODY_BYTES],
  ])('%s %s: one byte over its limit is 413 and the handler never runs; at the limit it runs', async (method, path, limit) => {
    calls.length = 0;
    expect((await send(method, path, Buffer.alloc(limit + 1, ' '))).status).toBe(413);
    expect(calls).toEqual([]);
    const at = await send(method, path, `{}${' '.repeat(limit - 2)}`);
    expect(at.status).not.toBe(413);
  });
});

describe('nesting and failures', () => {
  it.each(['/api/events/eventgrid', '/api/protectors/p/rotations', '/api/protectors/p/rewraps'])('%s: nested past the bound is 400 before any use case runs', async (path) => {
    calls.length = 0;
    const r = await send('POST', path, `${'['.repeat(8_000)}${']'.repeat(8_000)}`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ error: 'JSON nested deeper than 64 levels' });
    expect(calls).toEqual([]);
  });

  it('an Event Grid delivery whose writes fail is a 500 with no detail, so Event Grid redelivers it whole', async () => {
    ingestFails = true;
    try {
      const r = await send('POST', '/api/events/eventgrid', JSON.stringify([{ id: '1', eventType: 'Microsoft.KeyVault.KeyNearExpiry', data: {} }]));
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body)).toEqual({ error: 'internal error' });
    } finally {
      ingestFails = false;
    }
    expect((await send('POST', '/api/events/eventgrid', '[]')).status).toBe(200);
  });
});
