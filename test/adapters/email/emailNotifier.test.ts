// The production email notifier through the real SDK against the ACS capture over HTTPS.
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmailNotifier, EmailConfigError, EmailSendError, operationIdForKey } from '../../../adapters/email/index.js';
import type { AlertMessage } from '../../../domain/alerts/message.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import { startEmailCapture } from '../../../emulators/email/index.js';
import type { EmailCapture, EmailCaptureOptions } from '../../../emulators/email/index.js';
import { devCert, trustPolicies } from '../../emulators/email/devTls.js';

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

const alert = (over: Partial<AlertMessage> = {}): AlertMessage => ({
  key: 'orders-sql|sql-orders-eus|permission_revoked|access_lost',
  kind: 'opened',
  subject: '[keysteward] orders-sql: sql-orders-eus lost access to its TDE protector',
  text: 'Access lost at 2026-03-03T02:17:45Z; autoheal deadline 02:47:45Z.',
  html: '<p>Access lost at <b>2026-03-03T02:17:45Z</b></p>',
  to: ['secops@contoso.example', 'dba@contoso.example'],
  incidents: [],
  createdAt: '2026-03-03T02:18:00.000Z',
  ...over,
});

const SENDER = 'DoNotReply@contoso.azurecomm.net';

function notifier(cap: EmailCapture, extra: { policies?: Array<{ policy: PipelinePolicy; position: 'perCall' | 'perRetry' }>; maxRetries?: number } = {}) {
  return createEmailNotifier({
    connectionString: cap.connectionString,
    senderAddress: SENDER,
    additionalPolicies: [...trustPolicies(cert), ...(extra.policies ?? [])],
    pollIntervalMs: 10,
    ...(extra.maxRetries === undefined ? {} : { maxRetries: extra.maxRetries }),
  });
}

async function failure(p: Promise<unknown>): Promise<EmailSendError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(EmailSendError);
    return err as EmailSendError;
  }
  throw new Error('expected a rejection');
}

/** Nothing secret in an error: message, own properties and stack. */
function expectNoSecrets(err: Error, cap: EmailCapture): void {
  const key = /accesskey=(.*)$/.exec(cap.connectionString)?.[1] ?? '';
  const everything = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify({ ...err })}`;
  expect(everything).not.toContain(key);
  expect(everything).not.toContain('accesskey');
  expect(everything).not.toContain('HMAC-SHA256');
}

describe('createEmailNotifier', () => {
  it("sends the alert as ACS expects: subject, text+html, every recipient, the alert header, tracking off, the key's Operation-Id", async () => {
    const cap = await start();
    const n = notifier(cap);
    expect(n.channel).toBe('email');
    await n.send(alert());
    const [m, ...rest] = cap.messages();
    expect(rest).toEqual([]);
    expect(m).toMatchObject({
      operationId: operationIdForKey(alert().key),
      senderAddress: SENDER,
      subject: alert().subject,
      plainText: alert().text,
      html: alert().html,
      to: [{ address: 'secops@contoso.example' }, { address: 'dba@contoso.example' }],
      headers: { 'x-keysteward-alert': alert().key },
      userEngagementTrackingDisabled: true,
      status: 'Succeeded',
    });
  });

  it('a retried send of the same alert is one email (Operation-Id from the key); another key is another email', async () => {
    const cap = await start();
    const n = notifier(cap);
    await n.send(alert());
    await n.send(alert());
    await n.send(alert({ key: 'other' }));
    expect(cap.messages().map((m) => m.operationId)).toEqual([operationIdForKey(alert().key), operationIdForKey('other')]);
  });

  it('a signature the service refuses → EmailSendError 401 Denied, not retryable, no secret in it', async () => {
    const cap = await start();
    const tamper: PipelinePolicy = { name: 'tamper', sendRequest: (req, next) => ((req.body = `${String(req.body)} `), next(req)) };
    const err = await failure(notifier(cap, { policies: [{ policy: tamper, position: 'perRetry' }] }).send(alert()));
    expect(err).toMatchObject({ status: 401, code: 'Denied', retryable: false, channel: 'email' });
    expect(err.message).toBe('ACS email send failed: HTTP 401 Denied');
    expectNoSecrets(err, cap);
  });

  it('throttled with maxRetries 0 → retryable EmailSendError carrying Retry-After', async () => {
    let now = Date.now();
    const cap = await start({ rateLimit: { perMinute: 1 }, clock: () => now });
    const n = notifier(cap, { maxRetries: 0 });
    await n.send(alert({ key: 'a' }));
    now += 15_000;
    const err = await failure(n.send(alert({ key: 'b' })));
    expect(err).toMatchObject({ status: 429, code: 'TooManyRequests', retryable: true, retryAfterMs: 45_000 });
  });

  it('an operation that ends Failed → EmailSendError with the operation error code', async () => {
    const cap = await start({ failWhen: () => true });
    const err = await failure(notifier(cap).send(alert()));
    expect(err).toMatchObject({ code: 'EmailDeliveryFailed', retryable: false });
    expectNoSecrets(err, cap);
  });

  it('an unreachable endpoint → retryable EmailSendError without the connection string', async () => {
    const cap = await start();
    const connectionString = cap.connectionString;
    await cap.close();
    capture = undefined;
    const n = createEmailNotifier({ connectionString, senderAddress: SENDER, additionalPolicies: trustPolicies(cert), maxRetries: 0 });
    const err = await failure(n.send(alert()));
    expect(err.retryable).toBe(true);
    expect(`${err.message} ${err.stack ?? ''}`).not.toContain(/accesskey=(.*)$/.exec(connectionString)?.[1] ?? 'x');
  });

  it('no recipients → EmailSendError before any request', async () => {
    const cap = await start();
    const err = await failure(notifier(cap).send(alert({ to: [] })));
    expect(err.message).toBe('email alert has no recipients');
    expect(cap.messages()).toEqual([]);
  });

  it('a malformed connection string is a config error that does not repeat it', () => {
    const secret = 'c2VjcmV0LWtleS1tYXRlcmlhbA==';
    let caught: unknown;
    try {
      createEmailNotifier({ connectionString: `endpoint-without-key;secret=${secret}`, senderAddress: SENDER });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EmailConfigError);
    expect(String((caught as Error).message)).not.toContain(secret);
    expect(() => createEmailNotifier({ senderAddress: SENDER })).toThrow(EmailConfigError);
  });

  it('operationIdForKey is a stable, valid RFC 9562 v8 UUID per key', () => {
    const id = operationIdForKey('k');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(operationIdForKey('k')).toBe(id);
    expect(operationIdForKey('k2')).not.toBe(id);
  });
});
