// The outbound webhook notifier against a tiny local receiver that verifies with the same verifier the ITSM
// endpoint uses, plus the HTTPS path when the dev certificate is trusted.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookNotifier, verifyStandardWebhook, WebhookDeliveryError, webhookIdForKey } from '../../../adapters/webhook/index.js';
import type { AlertMessage } from '../../../domain/alerts/message.js';
import { devCert, devCertTrusted } from '../../emulators/email/devTls.js';

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly verified: ReturnType<typeof verifyStandardWebhook>;
}

const cert = await devCert();
const SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;
let server: Server | undefined;

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await new Promise<void>((resolve) => (s.close(() => resolve()), s.closeAllConnections()));
});

function receiver(statuses: number[] = [], secrets: string[] = [SECRET], tls?: { certPem: string; keyPem: string }): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body, verified: verifyStandardWebhook({ headers: req.headers, rawBody: body, secrets, now: Date.now() }) });
      res.writeHead(statuses.shift() ?? 204);
      res.end();
    });
  };
  const s = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handler) : createHttpServer(handler);
  server = s;
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve({ url: `${tls ? 'https' : 'http'}://${tls ? 'localhost' : '127.0.0.1'}:${(s.address() as AddressInfo).port}/hooks/T0KEN-in-path?sig=abc`, received })),
  );
}

const alert = (over: Partial<AlertMessage> = {}): AlertMessage => ({
  key: 'orders-sql|sql-orders-eus|permission_revoked|access_lost',
  kind: 'opened',
  subject: 'orders-sql lost access',
  text: 'text',
  html: '<p>html</p>',
  to: ['secops@contoso.example'],
  incidents: [
    {
      protector: 'orders-sql',
      member: '/subscriptions/x/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-eus',
      cause: 'permission_revoked',
      episode: 0,
      stage: 'access_lost',
      openedAt: '2026-03-03T02:17:45.903Z',
      accessLostAt: '2026-03-03T02:17:45.903Z',
      inaccessibleAt: null,
      autohealDeadline: '2026-03-03T02:47:45.903Z',
      resolvedAt: null,
      evidence: [],
    },
  ],
  createdAt: '2026-03-03T02:18:00.000Z',
  ...over,
});

async function failure(p: Promise<unknown>): Promise<WebhookDeliveryError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookDeliveryError);
    return err as WebhookDeliveryError;
  }
  throw new Error('expected a rejection');
}

describe('createWebhookNotifier', () => {
  it('POSTs the signed alert JSON (no html) that the receiver verifies', async () => {
    const { url, received } = await receiver();
    const n = createWebhookNotifier({ url, secret: SECRET });
    expect(n.channel).toBe('webhook');
    await n.send(alert());
    const [r] = received;
    expect(r?.verified).toMatchObject({ ok: true, id: webhookIdForKey(alert().key) });
    expect(r?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r?.body ?? '')).toEqual({
      type: 'keysteward.alert',
      key: alert().key,
      kind: 'opened',
      subject: 'orders-sql lost access',
      incidents: alert().incidents,
      createdAt: '2026-03-03T02:18:00.000Z',
    });
    expect(r?.body).not.toContain('<p>');
  });

  it('a retry carries the same webhook-id and a fresh timestamp and signature', async () => {
    const { url, received } = await receiver([503, 200]);
    let now = 1_772_500_000_000;
    const n = createWebhookNotifier({ url, secret: SECRET, clock: () => now });
    const err = await failure(n.send(alert()));
    expect(err).toMatchObject({ status: 503, retryable: true });
    now += 30_000;
    await n.send(alert());
    const [a, b] = received;
    expect(a?.headers['webhook-id']).toBe(b?.headers['webhook-id']);
    expect(a?.headers['webhook-timestamp']).toBe('1772500000');
    expect(b?.headers['webhook-timestamp']).toBe('1772500030');
    expect(a?.headers['webhook-signature']).not.toBe(b?.headers['webhook-signature']);
    expect(webhookIdForKey(alert().key)).toMatch(/^ks_[A-Za-z0-9_-]{43}$/);
  });

  it('a custom idFor is used as the webhook-id', async () => {
    const { url, received } = await receiver();
    await createWebhookNotifier({ url, secret: SECRET, idFor: (m) => `alert-${m.kind}` }).send(alert());
    expect(received[0]?.headers['webhook-id']).toBe('alert-opened');
  });

  it('non-2xx throws: 410 is not retryable; errors name the origin only (no path token, no secret)', async () => {
    const { url } = await receiver([410, 400]);
    const n = createWebhookNotifier({ url, secret: SECRET });
    const gone = await failure(n.send(alert()));
    expect(gone).toMatchObject({ status: 410, retryable: false });
    const bad = await failure(n.send(alert()));
    expect(bad.status).toBe(400);
    for (const e of [gone, bad]) {
      const text = `${e.message} ${e.stack ?? ''} ${JSON.stringify({ ...e })}`;
      expect(text).not.toContain('T0KEN');
      expect(text).not.toContain('sig=abc');
      expect(text).not.toContain(SECRET.slice(6));
      expect(e.message).toMatch(/^webhook to http:\/\/127\.0\.0\.1:\d+ answered HTTP \d+$/);
    }
  });

  it('a receiver holding another secret rejects it (the signature really depends on the secret)', async () => {
    const { url, received } = await receiver([], [`whsec_${Buffer.alloc(32, 1).toString('base64')}`]);
    await createWebhookNotifier({ url, secret: SECRET }).send(alert());
    expect(received[0]?.verified).toMatchObject({ ok: false, status: 401 });
  });

  it('connection failure and timeout → retryable WebhookDeliveryError', async () => {
    const refused = createWebhookNotifier({ url: 'http://127.0.0.1:1/x', secret: SECRET });
    expect(await failure(refused.send(alert()))).toMatchObject({ status: undefined, retryable: true });
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)));
    const slow = createWebhookNotifier({ url: 'http://127.0.0.1:1/x', secret: SECRET, fetchImpl: hanging, timeoutMs: 20 });
    expect((await failure(slow.send(alert()))).message).toBe('webhook to http://127.0.0.1:1 timed out after 20 ms');
  });

  it('a malformed whsec_ secret fails at construction', () => {
    expect(() => createWebhookNotifier({ url: 'http://127.0.0.1:1/', secret: 'whsec_%%%' })).toThrow(/not valid base64/);
  });

  // fetch has no per-request CA option: this case needs the process-wide trust of NODE_EXTRA_CA_CERTS.
  it.runIf(devCertTrusted(cert))('delivers over HTTPS with the trusted dev certificate', async () => {
    const { url, received } = await receiver([], [SECRET], cert);
    await createWebhookNotifier({ url, secret: SECRET }).send(alert());
    expect(received[0]?.verified.ok).toBe(true);
  });
});
