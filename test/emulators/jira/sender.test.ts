// The emulator as sender: a Jira Cloud admin webhook with a secret, checked here with an independent HMAC against a
// plain node:http receiver; retries of 5xx and connection failures keep the identifier; every attempt is logged.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { JiraEmulator } from '../../../emulators/jira/index.js';
import { call, devCert, KEYSTEWARD, manualClock, PROTECTOR, startJira, T0 } from './support.js';

const SECRET = 'whsec-jira-admin-5f2c9e7a';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly raw: Buffer;
}

interface Receiver {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

/** Answers the scripted statuses in turn (the last one from then on). */
async function receiver(statuses: readonly number[]): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks) });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(`answer ${received.length}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/webhooks/itsm/jira`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The check keysteward's verifier must make, written out independently. */
function signatureValid(r: Received, secret: string): boolean {
  const header = String(r.headers['x-hub-signature'] ?? '');
  const m = /^sha256=([0-9a-f]{64})$/.exec(header);
  if (!m?.[1]) return false;
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(r.raw).digest();
  return timingSafeEqual(Buffer.from(m[1], 'hex'), expected);
}

let cert: DevCertificate;
let em: JiraEmulator | undefined;
let rx: Receiver | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  await rx?.close();
  em = undefined;
  rx = undefined;
});

describe('fireWebhook', () => {
  it('posts the signed payload Jira sends, with the issue fields GET issue returns', async () => {
    const clock = manualClock();
    const e = (em = await startJira(cert, { clock: clock.now, webhookRetryDelayMs: 10 }));
    const r = (rx = await receiver([200]));
    const { key, id } = e.createIssue({ project: 'CHG', summary: 'rotate sql-orders', labels: ['keysteward'], fields: { [PROTECTOR]: 'sql-orders' } });
    clock.advance(5000);

    const result = await e.fireWebhook({ url: r.url, secret: SECRET, issueKey: key });
    expect(result).toEqual({ status: 200, body: 'answer 1' });
    expect(r.received).toHaveLength(1);
    const got = r.received[0] as Received;
    expect(signatureValid(got, SECRET)).toBe(true);
    expect(signatureValid(got, 'another-secret')).toBe(false);
    expect(got.headers['x-hub-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got.headers['user-agent']).toBe('Atlassian Webhook HTTP Client');
    const identifier = String(got.headers['x-atlassian-webhook-identifier']);
    expect(identifier).toMatch(/^\d+$/);

    const payload = JSON.parse(got.raw.toString('utf8')) as Record<string, unknown>;
    expect(payload).toMatchObject({
      timestamp: T0 + 5000,
      webhookEvent: 'jira:issue_updated',
      issue_event_type_name: 'issue_generic',
      user: { accountId: KEYSTEWARD.accountId, displayName: 'keysteward automation' },
      issue: { id, key, self: `${e.url}/rest/api/3/issue/${id}` },
      changelog: { id: expect.stringMatching(/^\d+$/), items: [] },
    });
    const viaRest = (await call(e, 'GET', `/rest/api/3/issue/${key}`)).json as { fields: unknown };
    expect((payload['issue'] as { fields: unknown }).fields).toEqual(viaRest.fields);
    expect(((payload['issue'] as { fields: Record<string, unknown> }).fields[PROTECTOR] as { value: string }).value).toBe('sql-orders');

    expect(e.deliveries()).toEqual([{ at: T0 + 5000, url: r.url, identifier, attempt: 1, status: 200 }]);
    expect(JSON.stringify(e.deliveries())).not.toContain(SECRET);
  });

  it('retries a 500 with the same identifier and body; a given event and identifier are used', async () => {
    const e = (em = await startJira(cert, { webhookRetryDelayMs: 10 }));
    const r = (rx = await receiver([500, 503, 202]));
    const { key } = e.createIssue({ project: 'CHG', summary: 'x' });
    const result = await e.fireWebhook({ url: r.url, secret: SECRET, issueKey: key, event: 'jira:issue_created', identifier: 'wh-7f3a', retries: 5 });
    expect(result).toEqual({ status: 202, body: 'answer 3' });
    expect(r.received.map((x) => x.headers['x-atlassian-webhook-identifier'])).toEqual(['wh-7f3a', 'wh-7f3a', 'wh-7f3a']);
    expect(new Set(r.received.map((x) => x.raw.toString('utf8'))).size).toBe(1);
    expect(r.received.every((x) => signatureValid(x, SECRET))).toBe(true);
    expect((JSON.parse(r.received[0]?.raw.toString('utf8') ?? '{}') as { webhookEvent: string }).webhookEvent).toBe('jira:issue_created');
    expect(e.deliveries().map((d) => [d.attempt, d.status, d.identifier])).toEqual([
      [1, 500, 'wh-7f3a'],
      [2, 503, 'wh-7f3a'],
      [3, 202, 'wh-7f3a'],
    ]);
  });

  it('stops after `retries`; does not retry a 4xx; two fires get two identifiers', async () => {
    const e = (em = await startJira(cert, { webhookRetryDelayMs: 10 }));
    const failing = (rx = await receiver([500]));
    const { key } = e.createIssue({ project: 'CHG', summary: 'x' });
    expect(await e.fireWebhook({ url: failing.url, secret: SECRET, issueKey: key, retries: 1 })).toEqual({ status: 500, body: 'answer 2' });
    expect(failing.received).toHaveLength(2);
    await failing.close();

    const refusing = (rx = await receiver([401]));
    expect(await e.fireWebhook({ url: refusing.url, secret: SECRET, issueKey: key, retries: 3 })).toEqual({ status: 401, body: 'answer 1' });
    expect(refusing.received).toHaveLength(1);
    const ids = e.deliveries().map((d) => d.identifier);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('connection failures are retried and logged with an error; an unknown issue throws', async () => {
    const e = (em = await startJira(cert, { webhookRetryDelayMs: 10 }));
    const closed = await receiver([200]);
    const url = closed.url;
    await closed.close();
    const { key } = e.createIssue({ project: 'OPS', summary: 'x' });
    const result = await e.fireWebhook({ url, secret: SECRET, issueKey: key, retries: 2 });
    expect(result).toHaveProperty('error');
    const log = e.deliveries();
    expect(log.map((d) => [d.attempt, d.status])).toEqual([
      [1, null],
      [2, null],
      [3, null],
    ]);
    expect(log.every((d) => typeof d.error === 'string' && d.error.length > 0 && !d.error.includes(SECRET))).toBe(true);
    expect(new Set(log.map((d) => d.identifier)).size).toBe(1);
    await expect(e.fireWebhook({ url, secret: SECRET, issueKey: 'OPS-999' })).rejects.toThrow(/unknown issue/);
  });

  it('POST /_admin/webhooks/fire answers the result', async () => {
    const e = (em = await startJira(cert, { webhookRetryDelayMs: 10 }));
    const r = (rx = await receiver([204]));
    const { key } = e.createIssue({ project: 'CHG', summary: 'x' });
    const res = await call(e, 'POST', '/_admin/webhooks/fire', { user: null, body: { url: r.url, secret: SECRET, issueKey: key } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 204, body: '' });
    expect(res.text).not.toContain(SECRET);
    expect(signatureValid(r.received[0] as Received, SECRET)).toBe(true);
    expect(((await call(e, 'GET', '/_admin/deliveries', { user: null })).json as unknown[]).length).toBe(1);
  });
});
