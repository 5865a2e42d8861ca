// The ACS HMAC-SHA256 request signature (azure-formats.md §6.1), as @azure/communication-common 2.x computes
// it: string-to-sign = VERB \n pathAndQuery \n x-ms-date;host;x-ms-content-sha256, where host includes the
// port and the query is re-serialised by URLSearchParams. The capture server checks it the way ACS does, so
// a client that signs wrongly fails here as it would in Azure.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedParts {
  readonly method: string;
  /** The request target as received (`/emails:send?api-version=…`). */
  readonly url: string;
  readonly host: string;
  readonly xMsDate: string;
  readonly contentHash: string;
}

export function contentHash(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('base64');
}

export function stringToSign({ method, url, host, xMsDate, contentHash: hash }: SignedParts): string {
  const parsed = new URL(url, 'https://placeholder');
  const query = parsed.searchParams.toString();
  const pathAndQuery = query ? `${parsed.pathname}?${query}` : parsed.pathname;
  return `${method.toUpperCase()}\n${pathAndQuery}\n${xMsDate};${host};${hash}`;
}

export function signature(accessKey: Buffer, parts: SignedParts): string {
  return createHmac('sha256', accessKey).update(stringToSign(parts), 'utf8').digest('base64');
}

const AUTH = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/;

export type HmacCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface HmacRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v);

/**
 * Checks the body hash, the signed-header list, the date skew and the signature (constant time).
 * `reason` is for the emulator's own diagnostics; it never contains the key or the expected signature.
 */
export function verifyHmacRequest(req: HmacRequest, accessKey: Buffer, nowMs: number, maxSkewMs: number): HmacCheck {
  const auth = one(req.headers['authorization']);
  const xMsDate = one(req.headers['x-ms-date']);
  const hash = one(req.headers['x-ms-content-sha256']);
  const host = one(req.headers['host']);
  if (!auth || !xMsDate || !hash || !host) return { ok: false, reason: 'missing authorization, x-ms-date, x-ms-content-sha256 or host' };
  const m = AUTH.exec(auth);
  if (!m?.[1] || !m[2]) return { ok: false, reason: 'authorization is not HMAC-SHA256 SignedHeaders=…&Signature=…' };
  if (m[1].toLowerCase() !== 'x-ms-date;host;x-ms-content-sha256') return { ok: false, reason: 'unexpected SignedHeaders' };
  if (contentHash(req.body) !== hash) return { ok: false, reason: 'x-ms-content-sha256 does not match the body' };
  const date = Date.parse(xMsDate);
  if (!Number.isFinite(date) || Math.abs(nowMs - date) > maxSkewMs) return { ok: false, reason: 'x-ms-date missing or outside the allowed clock skew' };
  const expected = Buffer.from(signature(accessKey, { method: req.method, url: req.url, host, xMsDate, contentHash: hash }), 'base64');
  const given = Buffer.from(m[2], 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}
