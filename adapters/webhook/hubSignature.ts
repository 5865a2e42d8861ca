// Jira Cloud admin webhooks with a secret (reliability.md §1.5 W7, §5.2): `X-Hub-Signature: sha256=<hex>` — an
// HMAC-SHA256 of the raw body with the secret's UTF-8 bytes (WebSub style) — and `X-Atlassian-Webhook-Identifier`,
// the same on every retry of one delivery. The signature covers no timestamp, so freshness comes from the signed
// payload's own `timestamp` (epoch ms), read only after the signature verified.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readHeader, type HeaderSource } from './headers.js';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const IDENTIFIER = /^[A-Za-z0-9_-]{1,128}$/;

export interface HubVerifyInput {
  readonly headers: HeaderSource;
  readonly rawBody: Uint8Array;
  /** Every secret currently accepted for this sender (two while the Jira admin rotates it). */
  readonly secrets: readonly string[];
  readonly now: number;
  readonly toleranceSec?: number;
}

export type HubVerifyResult =
  | { readonly ok: true; readonly identifier: string; readonly timestamp: number }
  | { readonly ok: false; readonly status: 400 | 401; readonly reason: string };

/** The header value for `body` signed with `secret` (what Jira sends; the CLI and tests sign with it). */
export function signHubSignature(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body).digest('hex')}`;
}

export function verifyHubSignature({ headers, rawBody, secrets, now, toleranceSec = 300 }: HubVerifyInput): HubVerifyResult {
  const sig = readHeader(headers, 'x-hub-signature');
  if ('error' in sig) return { ok: false, status: 401, reason: sig.error === 'missing header x-hub-signature' ? 'unsigned: missing X-Hub-Signature' : sig.error };
  const id = readHeader(headers, 'x-atlassian-webhook-identifier');
  if ('error' in id) return { ok: false, status: 400, reason: id.error };
  if (!IDENTIFIER.test(id.value)) return { ok: false, status: 400, reason: 'x-atlassian-webhook-identifier must match [A-Za-z0-9_-]{1,128}' };
  const hex = SIGNATURE.exec(sig.value)?.[1];
  if (hex === undefined) return { ok: false, status: 401, reason: 'X-Hub-Signature must be sha256=<64 hex digits>' };
  const given = Buffer.from(hex, 'hex');
  const matches = secrets.some((secret) => {
    if (secret.length === 0) return false;
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(rawBody).digest();
    // Both are 32 bytes here (the pattern fixed the length): timingSafeEqual compares them in constant time.
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return { ok: false, status: 401, reason: 'no matching signature' };
  let timestamp: unknown;
  try {
    timestamp = (JSON.parse(Buffer.from(rawBody).toString('utf8')) as { timestamp?: unknown }).timestamp;
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) return { ok: false, status: 400, reason: 'payload timestamp must be epoch milliseconds' };
  if (Math.abs(now - timestamp) > toleranceSec * 1000) return { ok: false, status: 401, reason: 'payload timestamp outside the tolerance' };
  return { ok: true, identifier: id.value, timestamp };
}
