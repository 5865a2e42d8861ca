// Standard Webhooks v1 (reliability.md §5, DESIGN.md §4.6): HMAC-SHA256 over `id.timestamp.body`, sent as
// `webhook-signature: v1,<base64>` (several space-separated entries during a secret rotation). The signer serves
// our outbound alert webhooks; the verifier is shared with the inbound ITSM endpoint, so it reports a status
// (400 malformed, 401 unauthentic) and a reason that never contains the secret or the expected signature.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readHeader, type HeaderSource } from './headers.js';

export type { HeaderSource } from './headers.js';

/** A signing secret: `whsec_<base64>` (the Standard Webhooks form; the bytes are the base64-decoded rest),
 * any other string (its UTF-8 bytes are the key), or raw key bytes. */
export type WebhookSecret = string | Uint8Array;

const PREFIX = 'whsec_';
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// reliability.md §5 step 2: the id never contains `.` (it is the separator of the signed content).
const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const TIMESTAMP_PATTERN = /^[0-9]{1,10}$/;
const SIGNATURE_BYTES = 32;

export class WebhookSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSecretError';
  }
}

/** The HMAC key bytes of a secret. Throws (naming no part of the secret) when a `whsec_` secret is not base64. */
export function secretKeyBytes(secret: WebhookSecret): Buffer {
  if (typeof secret !== 'string') return Buffer.from(secret);
  if (!secret.startsWith(PREFIX)) {
    if (secret.length === 0) throw new WebhookSecretError('webhook secret is empty');
    return Buffer.from(secret, 'utf8');
  }
  const encoded = secret.slice(PREFIX.length);
  // Buffer's base64 decoder skips bad characters silently; a typo must not quietly yield another key.
  if (encoded.length === 0 || !STRICT_BASE64.test(encoded)) throw new WebhookSecretError('webhook secret has the whsec_ prefix but is not valid base64');
  return Buffer.from(encoded, 'base64');
}

function hmac(key: Buffer, id: string, timestamp: number | string, body: string | Uint8Array): Buffer {
  const mac = createHmac('sha256', key);
  mac.update(`${id}.${timestamp}.`, 'utf8');
  mac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return mac.digest();
}

export interface SignInput {
  readonly id: string;
  /** Unix seconds of this attempt. */
  readonly timestamp: number;
  /** The exact bytes sent (a string is sent as UTF-8). */
  readonly body: string | Uint8Array;
  readonly secret: WebhookSecret;
}

/** The `webhook-signature` header value for one secret: `v1,<base64>`. */
export function signStandardWebhook({ id, timestamp, body, secret }: SignInput): string {
  if (!ID_PATTERN.test(id)) throw new Error('webhook id must match [A-Za-z0-9_-]{1,128}');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new Error('webhook timestamp must be a non-negative integer of seconds');
  return `v1,${hmac(secretKeyBytes(secret), id, timestamp, body).toString('base64')}`;
}

export interface VerifyInput {
  readonly headers: HeaderSource;
  /** The raw request body, before any JSON parsing (a re-serialised body does not verify). */
  readonly rawBody: string | Uint8Array;
  /** Every secret currently accepted for this sender (two during a rotation). */
  readonly secrets: readonly WebhookSecret[];
  /** Now, in epoch milliseconds. */
  readonly now: number;
  readonly toleranceSec?: number;
}

export type VerifyResult =
  | { readonly ok: true; readonly id: string; readonly timestamp: number }
  | { readonly ok: false; readonly status: 400 | 401; readonly reason: string };

const reject = (status: 400 | 401, reason: string): VerifyResult => ({ ok: false, status, reason });

/**
 * Verifies a Standard Webhooks v1 request, in the order of reliability.md §5: headers well-formed (400),
 * timestamp within ±toleranceSec of now (401), then any `v1,` entry matching any secret (401 otherwise).
 * Entries of other versions (`v1a,`, `v2,`) are ignored, never trusted.
 */
export function verifyStandardWebhook({ headers, rawBody, secrets, now, toleranceSec = 300 }: VerifyInput): VerifyResult {
  const id = readHeader(headers, 'webhook-id');
  if ('error' in id) return reject(400, id.error);
  const ts = readHeader(headers, 'webhook-timestamp');
  if ('error' in ts) return reject(400, ts.error);
  const sig = readHeader(headers, 'webhook-signature');
  if ('error' in sig) return reject(400, sig.error);
  // A host that folds a repeated header joins the values with ", " (Fetch Headers, the Functions runtime): a real
  // signature list never contains one (entries are separated by single spaces, base64 has no comma).
  if (sig.value.includes(', ')) return reject(400, 'duplicated header webhook-signature');
  if (!ID_PATTERN.test(id.value)) return reject(400, 'webhook-id must match [A-Za-z0-9_-]{1,128}');
  // Digits only: no sign, no fraction, no milliseconds (11+ digits) — a lenient parse would widen the window.
  if (!TIMESTAMP_PATTERN.test(ts.value)) return reject(400, 'webhook-timestamp must be unix seconds');

  const timestamp = Number(ts.value);
  if (Math.abs(now / 1000 - timestamp) > toleranceSec) return reject(401, 'webhook-timestamp outside the tolerance');

  const candidates: Buffer[] = [];
  for (const entry of sig.value.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const encoded = entry.slice(comma + 1);
    if (!STRICT_BASE64.test(encoded)) continue;
    candidates.push(Buffer.from(encoded, 'base64'));
  }
  if (candidates.length === 0) return reject(401, 'no v1 signature');

  for (const secret of secrets) {
    let key: Buffer;
    try {
      key = secretKeyBytes(secret);
    } catch {
      continue; // a misconfigured secret must not stop the others from verifying
    }
    const expected = hmac(key, id.value, ts.value, rawBody);
    for (const candidate of candidates) {
      // timingSafeEqual throws on different lengths; the length itself is public (always 32 bytes).
      if (candidate.length === SIGNATURE_BYTES && timingSafeEqual(candidate, expected)) return { ok: true, id: id.value, timestamp };
    }
  }
  return reject(401, 'no matching signature');
}
