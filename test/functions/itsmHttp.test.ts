// The ITSM routes through the standalone host's real HTTP server: the verifier gets the raw bytes exactly as sent
// (W-2), headers repeated on the wire are named as duplicates (W-7), the webhook needs no API key (it is signed) while
// the request record does, and each outcome maps to its status.
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcceptResult, InboundHttp } from '../../app/itsm/accept.js';
import { silentLogger } from '../../adapters/logging/logger.js';
import { functionDefinitions } from '../../functions/list.js';
import type { Services } from '../../functions/services.js';
import { createHttpServer } from '../../hosts/standalone/httpServer.js';
import { routesOf } from '../../hosts/standalone/router.js';
import { request as itsmRequest } from '../domain/itsm/support.js';

const API_KEY = 'api-key-0123456789abcdef';
const received: InboundHttp[] = [];
let next: AcceptResult = { kind: 'accepted', request: itsmRequest(), queued: true };

const services = {
  config: { auditEventHub: { connection: 'A', name: 'a', consumerGroup: '$Default' }, activityEventHub: { connection: 'B', name: 'b', consumerGroup: '$Default' }, sweepSchedule: '* * * * * *', reconcileSchedule: '* * * * * *', rotationSchedule: '* * * * * *', itsmSchedule: '* * * * * *', eventGridKey: undefined },
  clock: { now: () => 0 },
  log: silentLogger,
  receiveItsm: async (input: InboundHttp) => {
    received.push(input);
    return next;
  },
  getItsmRequest: async (id: string) => (id === itsmRequest().id ? itsmRequest() : null),
} as unknown as Services;

const server = createHttpServer(routesOf(functionDefinitions(services)), silentLogger, API_KEY);
let port = 0;
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A raw request, so headers can repeat exactly as on the wire. */
function send(method: string, path: string, rawHeaders: string[], body?: Buffer): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    // A raw header list gets no Host header added: HTTP/1.1 needs one.
    const req = request({ host: '127.0.0.1', port, method, path, headers: ['host', `127.0.0.1:${port}`, ...rawHeaders] }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('ITSM routes on the standalone host', () => {
  it('W-2: the verifier gets the body byte for byte (no parse and re-serialise), without the API key', async () => {
    const body = Buffer.from('{ "protector" :"orders-sql",\n  "ticket":{"number":"CHG0030001"}, "x":"\\u00e9\u00e9" }');
    const res = await send('POST', '/api/itsm/standard', ['content-type', 'application/json', 'webhook-id', 'a'], body);
    expect(res.status).toBe(202);
    expect(res.headers['location']).toBe(`/api/itsm/requests/${itsmRequest().id}`);
    expect(Buffer.compare(received[received.length - 1]?.rawBody ?? Buffer.alloc(0), body)).toBe(0);
    expect(received[received.length - 1]?.profile).toBe('standard');
  });

  it('W-7: a header sent twice reaches the use case as a duplicate', async () => {
    await send('POST', '/api/itsm/standard', ['content-type', 'application/json', 'webhook-signature', 'v1,AAAA', 'webhook-signature', 'v1,BBBB'], Buffer.from('{}'));
    expect(received[received.length - 1]?.duplicated).toEqual(['webhook-signature']);
  });

  it.each<[AcceptResult, number]>([
    [{ kind: 'unknown-profile' }, 404],
    [{ kind: 'too-large' }, 413],
    [{ kind: 'unsupported-media' }, 415],
    [{ kind: 'unauthenticated', status: 401, reason: 'no matching signature' }, 401],
    [{ kind: 'unauthenticated', status: 400, reason: 'missing header webhook-id' }, 400],
    [{ kind: 'bad-request', reason: 'protector: must be a protector id' }, 400],
    [{ kind: 'mismatch', requestId: 'itsm-standard-x' }, 422],
    [{ kind: 'replayed', request: itsmRequest() }, 200],
  ])('%j → %i', async (result, status) => {
    next = result;
    const res = await send('POST', '/api/itsm/standard', ['content-type', 'application/json'], Buffer.from('{}'));
    expect(res.status).toBe(status);
    if (result.kind === 'unauthenticated') expect(res.body['error']).toBe(result.reason);
    if (result.kind === 'replayed') expect(res.headers['idempotent-replayed']).toBe('true');
  });

  it('the request record needs the API key, and shows history and run without the body hash', async () => {
    expect((await send('GET', `/api/itsm/requests/${itsmRequest().id}`, [])).status).toBe(401);
    const res = await send('GET', `/api/itsm/requests/${itsmRequest().id}`, ['x-api-key', API_KEY]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: itsmRequest().id, state: 'pending-approval', run: null });
    expect(res.body['bodySha256']).toBeUndefined();
    expect((await send('GET', '/api/itsm/requests/itsm-standard-nope', ['x-api-key', API_KEY])).status).toBe(404);
    expect((await send('GET', '/api/itsm/standard', [])).status).toBe(401); // only POST to a profile is open
  });
});
