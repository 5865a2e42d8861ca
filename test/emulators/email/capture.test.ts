// The ACS Email capture through the real @azure/communication-email client over HTTPS, plus raw requests for the
// cases the SDK never produces (missing or stale signatures, invalid bodies).
import { EmailClient } from '@azure/communication-email';
import type { EmailMessage } from '@azure/communication-email';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { isRestError } from '@azure/core-rest-pipeline';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import { contentHash, signature, startEmailCapture } from '../../../emulators/email/index.js';
import type { EmailCapture, EmailCaptureOptions } from '../../../emulators/email/index.js';
import { devCert, rawRequest, trustPolicies } from './devTls.js';

let cert: DevCertificate;
let capture: EmailCapture | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await capture?.close();
  capture = undefined;
});

async function start(extra: Partial<EmailCaptureOptions> = {}): Promise<EmailCapture> {
  capture = await startEmailCapture({ tls: cert, retryAfterSec: 0, ...extra });
  return capture;
}

function client(connectionString: string, policies: Array<{ policy: PipelinePolicy; position: 'perCall' | 'perRetry' }> = [], maxRetries?: number): EmailClient {
  return new EmailClient(connectionString, {
    additionalPolicies: [...trustPolicies(cert), ...policies],
    ...(maxRetries === undefined ? {} : { retryOptions: { maxRetries } }),
  });
}

const message = (subject = 'CMK sql-tde-protector: access lost'): EmailMessage => ({
  senderAddress: 'DoNotReply@contoso.azurecomm.net',
  content: { subject, plainText: 'orders-sql lost its key', html: '<p>orders-sql lost its key</p>' },
  recipients: { to: [{ address: 'secops@contoso.example', displayName: 'SecOps' }], cc: [{ address: 'dba@contoso.example' }] },
  headers: { 'x-keysteward-alert': 'k1' },
  disableUserEngagementTracking: true,
});

const accessKeyOf = (connectionString: string): Buffer => Buffer.from(/accesskey=(.*)$/.exec(connectionString)?.[1] ?? '', 'base64');

/** A request signed the way communication-common signs, so single parts can be broken on purpose. */
function signedHeaders(cap: EmailCapture, method: string, path: string, body: string, o: { date?: string; key?: Buffer; hostWithoutPort?: boolean } = {}): Record<string, string> {
  const url = new URL(path, cap.endpoint);
  const xMsDate = o.date ?? new Date().toUTCString();
  const hash = contentHash(body);
  const host = o.hostWithoutPort ? url.hostname : url.host;
  const sig = signature(o.key ?? accessKeyOf(cap.connectionString), { method, url: `${url.pathname}${url.search}`, host, xMsDate, contentHash: hash });
  return {
    'content-type': 'application/json',
    'x-ms-date': xMsDate,
    'x-ms-content-sha256': hash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${sig}`,
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

const SEND_PATH = '/emails:send?api-version=2025-09-01';
const validBody = JSON.stringify({
  senderAddress: 'DoNotReply@contoso.azurecomm.net',
  content: { subject: 's', plainText: 't' },
  recipients: { to: [{ address: 'secops@contoso.example' }] },
});

describe('ACS Email capture through the real EmailClient', () => {
  it('verifies the SDK signature (host with port) and stores the exact message', async () => {
    const cap = await start();
    const poller = await client(cap.connectionString).beginSend(message());
    const result = await poller.pollUntilDone();
    expect(result.status).toBe('Succeeded');

    const [stored, ...rest] = cap.messages();
    expect(rest).toEqual([]);
    expect(stored).toMatchObject({
      operationId: result.id,
      apiVersion: '2025-09-01',
      senderAddress: 'DoNotReply@contoso.azurecomm.net',
      subject: 'CMK sql-tde-protector: access lost',
      plainText: 'orders-sql lost its key',
      html: '<p>orders-sql lost its key</p>',
      to: [{ address: 'secops@contoso.example', displayName: 'SecOps' }],
      cc: [{ address: 'dba@contoso.example' }],
      bcc: [],
      headers: { 'x-keysteward-alert': 'k1' },
      userEngagementTrackingDisabled: true,
      status: 'Succeeded',
    });
    expect(cap.endpoint).toMatch(/^https:\/\/localhost:\d+\/$/);
  });

  it('a body changed after signing gets 401 Denied, surfaced by the SDK as a RestError; nothing is stored', async () => {
    const cap = await start();
    // perRetry policies run after the SDK's signing policy: this one alters the signed body in flight.
    const tamper: PipelinePolicy = {
      name: 'tamper',
      sendRequest: (req, next) => {
        if (typeof req.body === 'string') req.body = req.body.replace('lost its key', 'is fine');
        return next(req);
      },
    };
    const err = await rejection(client(cap.connectionString, [{ policy: tamper, position: 'perRetry' }]).beginSend(message()));
    expect(isRestError(err)).toBe(true);
    expect(err).toMatchObject({ statusCode: 401, code: 'Denied' });
    expect(cap.messages()).toEqual([]);
  });

  it('a client holding another access key gets 401', async () => {
    const cap = await start();
    const wrong = cap.connectionString.replace(/accesskey=.*$/, `accesskey=${Buffer.alloc(64, 7).toString('base64')}`);
    const err = await rejection(client(wrong).beginSend(message()));
    expect(err).toMatchObject({ statusCode: 401, code: 'Denied' });
  });

  it('the same Operation-Id twice is stored once and both sends succeed with that id', async () => {
    const cap = await start();
    const operationId = randomUUID();
    const c = client(cap.connectionString);
    const first = await (await c.beginSend(message(), { operationId })).pollUntilDone();
    const second = await (await c.beginSend(message(), { operationId })).pollUntilDone();
    expect(first).toMatchObject({ id: operationId, status: 'Succeeded' });
    expect(second).toMatchObject({ id: operationId, status: 'Succeeded' });
    expect(cap.messages().map((m) => m.operationId)).toEqual([operationId]);
  });

  it('without an Operation-Id, two sends are two messages, newest last', async () => {
    const cap = await start();
    const c = client(cap.connectionString);
    await (await c.beginSend(message('first'))).pollUntilDone();
    await (await c.beginSend(message('second'))).pollUntilDone();
    expect(cap.messages().map((m) => m.subject)).toEqual(['first', 'second']);
  });

  it('beyond perMinute answers 429 with Retry-After, until the window slides', async () => {
    let now = Date.now();
    const cap = await start({ rateLimit: { perMinute: 2 }, clock: () => now });
    const c = client(cap.connectionString, [], 0);
    await (await c.beginSend(message('1'))).pollUntilDone();
    now += 10_000;
    await (await c.beginSend(message('2'))).pollUntilDone();
    const err = await rejection(c.beginSend(message('3')));
    expect(err).toMatchObject({ statusCode: 429, code: 'TooManyRequests' });
    // The first send leaves the minute window 50 s from now.
    expect((err as { response?: { headers: { get(n: string): string | undefined } } }).response?.headers.get('retry-after')).toBe('50');
    now += 50_000;
    await (await c.beginSend(message('4'))).pollUntilDone();
    expect(cap.messages().map((m) => m.subject)).toEqual(['1', '2', '4']);
  });

  it('perHour counts across minutes', async () => {
    let now = Date.now();
    const cap = await start({ rateLimit: { perMinute: 30, perHour: 2 }, clock: () => now });
    const c = client(cap.connectionString, [], 0);
    await (await c.beginSend(message('1'))).pollUntilDone();
    now += 5 * 60_000;
    await (await c.beginSend(message('2'))).pollUntilDone();
    now += 5 * 60_000;
    expect(await rejection(c.beginSend(message('3')))).toMatchObject({ statusCode: 429 });
    expect(cap.messages()).toHaveLength(2);
  });

  it('an operation the emulator is told to fail ends Failed: beginSend (which polls once) rejects', async () => {
    const cap = await start({ failWhen: (m) => m.subject.includes('bounce') });
    await expect(client(cap.connectionString).beginSend(message('bounce me'))).rejects.toThrow(/EmailDeliveryFailed/);
    expect(cap.messages()[0]?.status).toBe('Failed');
  });

  it('an SDK send with no to-recipient is refused with 400 BadRequest', async () => {
    const cap = await start();
    const m = message();
    const err = await rejection(client(cap.connectionString).beginSend({ ...m, recipients: { to: [] } }));
    expect(err).toMatchObject({ statusCode: 400, code: 'BadRequest' });
    expect(cap.messages()).toEqual([]);
  });
});

describe('ACS Email capture: raw requests', () => {
  it('a request without a signature gets 401 with the ACS error body and x-ms-error-code', async () => {
    const cap = await start();
    const res = await rawRequest(cert, new URL(SEND_PATH, cap.endpoint).href, { method: 'POST', headers: { 'content-type': 'application/json' }, body: validBody });
    expect(res.status).toBe(401);
    expect(res.headers['x-ms-error-code']).toBe('Denied');
    expect(JSON.parse(res.text)).toEqual({ error: { code: 'Denied', message: 'Denied by the resource provider.' } });
  });

  it('a correctly signed raw request is accepted with Operation-Location and Retry-After', async () => {
    const cap = await start({ retryAfterSec: 2 });
    const res = await rawRequest(cert, new URL(SEND_PATH, cap.endpoint).href, {
      method: 'POST',
      headers: { ...signedHeaders(cap, 'POST', SEND_PATH, validBody), 'operation-id': 'op-1' },
      body: validBody,
    });
    expect(res.status).toBe(202);
    expect(JSON.parse(res.text)).toEqual({ id: 'op-1', status: 'Running' });
    expect(res.headers['operation-location']).toBe(`${cap.endpoint}emails/operations/op-1?api-version=2025-09-01`);
    expect(res.headers['retry-after']).toBe('2');
    const path = '/emails/operations/op-1?api-version=2025-09-01';
    const op = await rawRequest(cert, new URL(path, cap.endpoint).href, { headers: signedHeaders(cap, 'GET', path, '') });
    expect(JSON.parse(op.text)).toEqual({ id: 'op-1', status: 'Succeeded' });
  });

  it.each([
    ['signed over the host without its port', { hostWithoutPort: true }],
    ['signed with another key', { key: Buffer.alloc(32, 1) }],
    ['an x-ms-date 20 minutes old', { date: new Date(Date.now() - 20 * 60_000).toUTCString() }],
  ])('401 when %s', async (_name, opts) => {
    const cap = await start();
    const res = await rawRequest(cert, new URL(SEND_PATH, cap.endpoint).href, { method: 'POST', headers: signedHeaders(cap, 'POST', SEND_PATH, validBody, opts), body: validBody });
    expect(res.status).toBe(401);
  });

  it('401 when x-ms-content-sha256 does not match the body', async () => {
    const cap = await start();
    const headers = signedHeaders(cap, 'POST', SEND_PATH, validBody);
    const res = await rawRequest(cert, new URL(SEND_PATH, cap.endpoint).href, { method: 'POST', headers, body: validBody.replace('"s"', '"S"') });
    expect(res.status).toBe(401);
  });

  it.each([
    ['not JSON', '{'],
    ['no subject', JSON.stringify({ senderAddress: 'a@b.c', content: { plainText: 't' }, recipients: { to: [{ address: 'x@y.z' }] } })],
    ['no body text', JSON.stringify({ senderAddress: 'a@b.c', content: { subject: 's' }, recipients: { to: [{ address: 'x@y.z' }] } })],
    ['no sender', JSON.stringify({ content: { subject: 's', plainText: 't' }, recipients: { to: [{ address: 'x@y.z' }] } })],
    ['an empty to list', JSON.stringify({ senderAddress: 'a@b.c', content: { subject: 's', plainText: 't' }, recipients: { to: [] } })],
  ])('400 BadRequest for %s', async (_name, body) => {
    const cap = await start();
    const res = await rawRequest(cert, new URL(SEND_PATH, cap.endpoint).href, { method: 'POST', headers: signedHeaders(cap, 'POST', SEND_PATH, body), body });
    expect(res.status).toBe(400);
    expect(res.headers['x-ms-error-code']).toBe('BadRequest');
    expect(cap.messages()).toEqual([]);
  });

  it('400 without api-version, 404 for an unknown operation', async () => {
    const cap = await start();
    const noVersion = await rawRequest(cert, new URL('/emails:send', cap.endpoint).href, { method: 'POST', headers: signedHeaders(cap, 'POST', '/emails:send', validBody), body: validBody });
    expect(noVersion.status).toBe(400);
    expect(noVersion.headers['x-ms-error-code']).toBe('MissingApiVersionParameter');
    const path = '/emails/operations/nope?api-version=2025-09-01';
    const unknown = await rawRequest(cert, new URL(path, cap.endpoint).href, { headers: signedHeaders(cap, 'GET', path, '') });
    expect(unknown.status).toBe(404);
  });

  it('GET /messages lists, DELETE /messages clears; waitFor sees past and future messages', async () => {
    const cap = await start();
    const c = client(cap.connectionString);
    const later = cap.waitFor((m) => m.subject === 'two', 5_000);
    await (await c.beginSend(message('one'))).pollUntilDone();
    await (await c.beginSend(message('two'))).pollUntilDone();
    expect((await later).subject).toBe('two');
    expect((await cap.waitFor((m) => m.subject === 'one', 10)).subject).toBe('one');

    const listed = await rawRequest(cert, new URL('/messages', cap.endpoint).href);
    expect((JSON.parse(listed.text) as Array<{ subject: string }>).map((m) => m.subject)).toEqual(['one', 'two']);
    expect((await rawRequest(cert, new URL('/messages', cap.endpoint).href, { method: 'DELETE' })).status).toBe(204);
    expect(cap.messages()).toEqual([]);
    await expect(cap.waitFor(() => true, 20)).rejects.toThrow(/no matching email/);
  });

  it('the connection string carries the configured key and the endpoint', async () => {
    const key = Buffer.alloc(64, 3).toString('base64');
    const cap = await start({ accessKey: key });
    expect(cap.connectionString).toBe(`endpoint=${cap.endpoint};accesskey=${key}`);
  });
});
