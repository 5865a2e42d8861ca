// JSM automation "Send web request" (reliability.md §5.2): no HMAC over the body is available, only a static
// `Authorization: Bearer <token>` per site. Compared in constant time over SHA-256 digests (neither the token nor its
// length leaks). Lower assurance: whoever holds the token can write any body, so the request is never acted on from
// its body alone.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readHeader, type HeaderSource } from './headers.js';

export type BearerResult = { readonly ok: true } | { readonly ok: false; readonly status: 400 | 401; readonly reason: string };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function verifyBearerToken(headers: HeaderSource, tokens: readonly string[]): BearerResult {
  const auth = readHeader(headers, 'authorization');
  if ('error' in auth) return { ok: false, status: 401, reason: auth.error === 'missing header authorization' ? 'missing bearer token' : auth.error };
  const token = /^Bearer ([\x21-\x7e]+)$/.exec(auth.value)?.[1];
  if (token === undefined) return { ok: false, status: 401, reason: 'Authorization must be "Bearer <token>"' };
  const given = digest(token);
  // Every configured token is compared (no early exit), so timing does not tell which one came close.
  let ok = false;
  for (const t of tokens) if (t.length > 0 && timingSafeEqual(given, digest(t))) ok = true;
  return ok ? { ok: true } : { ok: false, status: 401, reason: 'wrong bearer token' };
}
