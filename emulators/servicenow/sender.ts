// The emulator as a *sender*: the business-rule script keysteward documents for ServiceNow admins, which posts a
// signed rotation request for a change to keysteward (Standard Webhooks v1). Written independently of keysteward's
// signer and verifier (only node:crypto), so a test of the verifier against it means something.
//   body:      {"type":"keysteward.rotation.requested","action","protector","ticket":{"system":"servicenow","number",
//              "sys_id"},"requestedBy":<the change's sys_created_by>} — JSON.stringify, this key order. No send time in
//              the body: a re-send of one event must be the same bytes (the header timestamp is per attempt), or the
//              receiver would see its idempotency key reused with another body.
//   headers:   content-type: application/json; webhook-id; webhook-timestamp (unix seconds);
//              webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>, key = the base64-decoded
//              secret after `whsec_` (a secret without the prefix: its UTF-8 bytes) — what
//              GlideCertificateEncryption.generateMac(base64Key, 'HmacSHA256', content) returns.
// One POST, no retry (RESTMessageV2 has none). The secret signs and is dropped: it is in no log entry, no error text.
import { createHmac } from 'node:crypto';
import type { SnowStore } from './store.js';
import { tableDef } from './tables.js';
import type { OutboundLogEntry, SendRotationRequestInput, SendRotationRequestResult } from './types.js';

export interface SenderContext {
  readonly store: SnowStore;
  readonly clock: () => number;
  readonly record: (e: OutboundLogEntry) => void;
}

/** [inferred] how long the script's RESTMessageV2 call waits (its default HTTP timeout is of this order). */
const TIMEOUT_MS = 10_000;
const WHSEC = 'whsec_';

/** A connection failure's short reason (`fetch failed: ECONNREFUSED`, a timeout), never the request it carried. */
function reasonOf(e: unknown): string {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS} ms`;
    const cause = (e as { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? `${e.message}: ${code}` : e.message;
  }
  return String(e);
}

/** The HMAC key of a Standard Webhooks secret. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith(WHSEC) ? Buffer.from(secret.slice(WHSEC.length), 'base64') : Buffer.from(secret, 'utf8');
}

export function signature(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64')}`;
}

export async function sendRotationRequest(ctx: SenderContext, input: SendRotationRequestInput): Promise<SendRotationRequestResult> {
  let target: URL;
  try {
    target = new URL(input.url);
  } catch {
    throw new Error('url is not a URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('url must be http or https');
  if (typeof input.secret !== 'string' || input.secret === '' || input.secret === WHSEC) throw new Error('secret must be a non-empty string');
  if (typeof input.protector !== 'string' || input.protector === '') throw new Error('protector must be a non-empty string');
  const action = input.action ?? 'rotate';
  if (action !== 'rotate' && action !== 'dry-run') throw new Error("action must be 'rotate' or 'dry-run'");
  if (input.webhookId !== undefined && (typeof input.webhookId !== 'string' || input.webhookId === '')) throw new Error('webhookId must be a non-empty string');
  if (input.timestamp !== undefined && !(Number.isSafeInteger(input.timestamp) && input.timestamp >= 0)) throw new Error('timestamp must be a non-negative integer of seconds');

  const changes = tableDef('change_request');
  const change = changes ? ctx.store.find(changes, input.change) : undefined;
  if (!change) throw new Error(`unknown change ${input.change}`);
  const number = change.values.get('number') ?? '';
  const sysId = change.values.get('sys_id') ?? '';

  const now = ctx.clock();
  const body = JSON.stringify({
    type: 'keysteward.rotation.requested',
    action,
    protector: input.protector,
    ticket: { system: 'servicenow', number, sys_id: sysId },
    // Who raised the change: stable, unlike sys_updated_by (which keysteward's own work notes change).
    requestedBy: change.values.get('sys_created_by') ?? '',
  });
  // The same event always gets the same id, so keysteward can drop a re-send as a duplicate.
  const webhookId = input.webhookId ?? `snow-${number}-${action}-${sysId}`;
  const timestamp = input.timestamp ?? Math.floor(now / 1000);
  const headers = {
    'content-type': 'application/json',
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature(input.secret, webhookId, timestamp, body),
  };

  try {
    const res = await fetch(target, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await res.text();
    ctx.record({ at: now, url: input.url, webhookId, status: res.status });
    return { status: res.status, body: text };
  } catch (e) {
    const error = reasonOf(e);
    ctx.record({ at: now, url: input.url, webhookId, status: null, error });
    return { error };
  }
}
