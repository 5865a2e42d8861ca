// The emulator as sender: the business-rule script's signed rotation request (Standard Webhooks v1), checked here
// with an independent HMAC against a plain node:http receiver; the id format; one attempt, no retry; failures logged.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { ServiceNowEmulator } from '../../../emulators/servicenow/index.js';
import { call, devCert, manualClock, startSnow, T0 } from './support.js';

const KEY_BYTES = Buffer.from('6b657973746577617264207365727669636e6f772077656268c3b66f6b206b6579', 'hex');
const WHSEC = `whsec_${KEY_BYTES.toString('base64')}`;
const PLAIN_SECRET = 'snow-business-rule-shared-secret';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: Buffer;
}

interface Receiver {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

async function receiver(status: number): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks) });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ accepted: received.length }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/webhooks/itsm/servicenow`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The check keysteward's verifier must make, written out independently: HMAC-SHA256 over id.timestamp.body. */
function signatureValid(r: Received, key: Buffer): boolean {
  const id = String(r.headers['webhook-id'] ?? '');
  const ts = String(r.headers['webhook-timestamp'] ?? '');
  const m = /^v1,([A-Za-z0-9+/]{43}=)$/.exec(String(r.headers['webhook-signature'] ?? ''));
  if (!m?.[1]) return false;
  const expected = createHmac('sha256', key).update(Buffer.concat([Buffer.from(`${id}.${ts}.`, 'utf8'), r.raw])).digest();
  return timingSafeEqual(Buffer.from(m[1], 'base64'), expected);
}

let cert: DevCertificate;
let em: ServiceNowEmulator | undefined;
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

describe('sendRotationRequest', () => {
  it('posts the documented body and Standard Webhooks headers, signed with the whsec_ key bytes', async () => {
    const clock = manualClock(T0 + 1234);
    const e = (em = await startSnow(cert, { clock: clock.now }));
    const r = (rx = await receiver(202));
    const chg = e.createChange({ short_description: 'rotate sql-orders', sys_created_by: 'change.manager', approval: 'approved' });

    const res = await e.sendRotationRequest({ url: r.url, secret: WHSEC, change: 'CHG0030001', protector: 'sql-orders' });
    expect(res).toEqual({ status: 202, body: '{"accepted":1}' });
    expect(r.received).toHaveLength(1);
    const got = r.received[0] as Received;
    expect(got.method).toBe('POST');
    expect(got.path).toBe('/webhooks/itsm/servicenow');
    expect(got.raw.toString('utf8')).toBe(
      `{"type":"keysteward.rotation.requested","action":"rotate","protector":"sql-orders","ticket":{"system":"servicenow","number":"CHG0030001","sys_id":"${chg['sys_id']}"},"requestedBy":"change.manager"}`,
    );
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-id']).toBe(`snow-CHG0030001-rotate-${chg['sys_id']}`);
    expect(got.headers['webhook-id']).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    expect(got.headers['webhook-timestamp']).toBe(String(Math.floor((T0 + 1234) / 1000)));
    expect(signatureValid(got, KEY_BYTES)).toBe(true);
    // The key is the decoded bytes, not the secret's text.
    expect(signatureValid(got, Buffer.from(WHSEC, 'utf8'))).toBe(false);
    expect(signatureValid(got, Buffer.from('another key'))).toBe(false);

    expect(e.outboundLog()).toEqual([{ at: T0 + 1234, url: r.url, webhookId: `snow-CHG0030001-rotate-${chg['sys_id']}`, status: 202 }]);
    expect(JSON.stringify(e.outboundLog())).not.toContain(WHSEC);
  });

  it('a secret without whsec_ signs with its UTF-8 bytes; given id, timestamp and action are used; requestedBy is who raised the change (sys_created_by), whoever updated it since', async () => {
    const e = (em = await startSnow(cert));
    const r = (rx = await receiver(200));
    const chg = e.createChange({ sys_created_by: 'req.owner' });
    e.updateRecord('change_request', chg['sys_id'] ?? '', { approval: 'approved', sys_updated_by: 'cab.chair' });
    await e.sendRotationRequest({ url: r.url, secret: PLAIN_SECRET, change: chg['sys_id'] ?? '', protector: 'cosmos-main', action: 'dry-run', webhookId: 'evt_0001', timestamp: 1_800_000_000 });
    const got = r.received[0] as Received;
    expect(got.headers['webhook-id']).toBe('evt_0001');
    expect(got.headers['webhook-timestamp']).toBe('1800000000');
    expect(signatureValid(got, Buffer.from(PLAIN_SECRET, 'utf8'))).toBe(true);
    const body = JSON.parse(got.raw.toString('utf8')) as Record<string, unknown>;
    expect(body).toMatchObject({ action: 'dry-run', protector: 'cosmos-main', requestedBy: 'req.owner' });
  });

  it('re-sending the same event keeps the id; another action gets another id', async () => {
    const e = (em = await startSnow(cert));
    const r = (rx = await receiver(200));
    const chg = e.createChange({});
    await e.sendRotationRequest({ url: r.url, secret: WHSEC, change: 'CHG0030001', protector: 'p' });
    await e.sendRotationRequest({ url: r.url, secret: WHSEC, change: chg['sys_id'] ?? '', protector: 'p' });
    await e.sendRotationRequest({ url: r.url, secret: WHSEC, change: 'CHG0030001', protector: 'p', action: 'dry-run' });
    const ids = r.received.map((x) => x.headers['webhook-id']);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).toBe(`snow-CHG0030001-dry-run-${chg['sys_id']}`);
    expect(r.received.every((x) => signatureValid(x, KEY_BYTES))).toBe(true);
  });

  it('a refusing receiver is answered once (no retry); a receiver that is down is logged with an error; unknown change throws', async () => {
    const e = (em = await startSnow(cert));
    e.createChange({});
    const refusing = await receiver(500);
    expect(await e.sendRotationRequest({ url: refusing.url, secret: WHSEC, change: 'CHG0030001', protector: 'p' })).toEqual({ status: 500, body: '{"accepted":1}' });
    expect(refusing.received).toHaveLength(1);
    const url = refusing.url;
    await refusing.close();

    const down = await e.sendRotationRequest({ url, secret: WHSEC, change: 'CHG0030001', protector: 'p' });
    expect(down).toEqual({ error: expect.stringMatching(/ECONNREFUSED/) as unknown as string });
    const log = e.outboundLog();
    expect(log).toHaveLength(2);
    expect(log[1]).toMatchObject({ url, status: null, error: expect.stringMatching(/ECONNREFUSED/) as unknown as string });
    expect(JSON.stringify(log)).not.toContain(WHSEC);

    await expect(e.sendRotationRequest({ url, secret: WHSEC, change: 'CHG0039999', protector: 'p' })).rejects.toThrow(/unknown change CHG0039999/);
    await expect(e.sendRotationRequest({ url: 'ftp://127.0.0.1/', secret: WHSEC, change: 'CHG0030001', protector: 'p' })).rejects.toThrow(/http or https/);
    expect(e.outboundLog()).toHaveLength(2);
  });

  it('POST /_admin/send answers the result and never echoes the secret', async () => {
    const e = (em = await startSnow(cert));
    const r = (rx = await receiver(204));
    e.createChange({});
    const res = await call(e, 'POST', '/_admin/send', { user: null, body: { url: r.url, secret: WHSEC, change: 'CHG0030001', protector: 'sql-orders', action: 'rotate' } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 204, body: '' });
    expect(res.text).not.toContain(WHSEC);
    expect(signatureValid(r.received[0] as Received, KEY_BYTES)).toBe(true);
    const outbound = (await call(e, 'GET', '/_admin/outbound', { user: null })).json as { status: number }[];
    expect(outbound.map((o) => o.status)).toEqual([204]);
  });

  it('posts to an https://localhost receiver (the dev certificate is trusted)', async () => {
    const target = (em = await startSnow(cert));
    const sender = await startSnow(cert);
    try {
      sender.createChange({});
      // The target emulator answers 400 (not a Table API path) — enough to prove the TLS request went through.
      const res = await sender.sendRotationRequest({ url: `${target.url}/webhooks/itsm/servicenow`, secret: WHSEC, change: 'CHG0030001', protector: 'p' });
      expect(res).toMatchObject({ status: 400 });
      expect(target.requests().map((q) => q.path)).toEqual(['/webhooks/itsm/servicenow']);
    } finally {
      await sender.close();
    }
  });
});
