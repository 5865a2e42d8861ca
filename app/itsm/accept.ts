// Receiving an ITSM webhook (DESIGN.md §4.6, reliability.md §5): cheap refusals first (size, media type — before
// any HMAC work), then the profile's own authentication, then the body. A rotation request is a durable record
// before it is acknowledged (I6): the record is keyed by (profile, idempotency key), so the same delivery is the same
// request on any instance; the same key with another body is refused (422). Queueing is best effort — with Redis
// down the request is still acknowledged and the reconciler (app/itsm/reconcile.ts) queues it when Redis is back.
import { createHash } from 'node:crypto';
import { acceptedNote } from '../../domain/itsm/notes.js';
import { parseInbound, type InboundOptions } from '../../domain/itsm/inbound.js';
import { ITSM_PROFILES, itsmRequestId, newRequest, type ItsmProfile, type ItsmRequest } from '../../domain/itsm/request.js';
import { parseJsonBody } from '../jsonInput.js';
import type { Clock, Logger } from '../ports.js';
import { withTimeout } from '../timeout.js';
import type { InboundAuth, ItsmJobQueue, ItsmOutbox, ItsmRequestStore } from './ports.js';

/** Standard Webhooks' payload-size guidance (reliability.md §5 step 1). */
export const MAX_ITSM_BODY = 64 * 1024;

export interface AcceptDeps {
  readonly store: ItsmRequestStore;
  readonly queue: ItsmJobQueue;
  readonly outbox: ItsmOutbox;
  /** The configured profiles; a profile absent here is not served (404). */
  readonly auth: Partial<Record<ItsmProfile, InboundAuth>>;
  readonly inbound: InboundOptions;
  readonly clock: Clock;
  readonly log: Logger;
  /** How long the acknowledgement may wait on Redis before leaving the job to the reconciler. Default 1000 ms. */
  readonly enqueueTimeoutMs?: number;
}

export interface InboundHttp {
  readonly profile: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Header names the request carried more than once (a host that folds duplicates passes none). */
  readonly duplicated: readonly string[];
  readonly rawBody: Buffer;
}

export type AcceptResult =
  | { readonly kind: 'unknown-profile' }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'unsupported-media' }
  | { readonly kind: 'unauthenticated'; readonly status: 400 | 401; readonly reason: string }
  | { readonly kind: 'bad-request'; readonly reason: string }
  | { readonly kind: 'accepted'; readonly request: ItsmRequest; readonly queued: boolean }
  | { readonly kind: 'replayed'; readonly request: ItsmRequest }
  | { readonly kind: 'mismatch'; readonly requestId: string };

const JSON_MEDIA = /^application\/json\s*(;.*)?$/i;

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function isProfile(p: string): p is ItsmProfile {
  return (ITSM_PROFILES as readonly string[]).includes(p);
}

export async function acceptItsmWebhook(deps: AcceptDeps, http: InboundHttp): Promise<AcceptResult> {
  const profile = http.profile;
  const auth = isProfile(profile) ? deps.auth[profile] : undefined;
  if (!isProfile(profile) || !auth) return { kind: 'unknown-profile' };
  if (http.rawBody.length > MAX_ITSM_BODY) return { kind: 'too-large' };
  if (!JSON_MEDIA.test(http.headers['content-type'] ?? '')) return { kind: 'unsupported-media' };

  const now = deps.clock.now();
  const headers = Object.fromEntries(Object.entries(http.headers).map(([k, v]) => [k, http.duplicated.includes(k) ? [v, v] : v]));
  const verdict = auth.verify({ headers, rawBody: http.rawBody, now });
  if (!verdict.ok) {
    // A security log entry: the profile and the one-line reason, never a signature, token or secret (I8).
    deps.log.warn({ security: true, event: 'itsm.auth_failed', profile, status: verdict.status, reason: verdict.reason }, 'ITSM webhook refused');
    return { kind: 'unauthenticated', status: verdict.status, reason: verdict.reason };
  }
  const json = parseJsonBody(http.rawBody);
  if (!json.ok) return { kind: 'bad-request', reason: json.reason };
  const parsed = parseInbound(profile, json.value, deps.inbound);
  if (!parsed.ok) return { kind: 'bad-request', reason: parsed.error };
  const key = verdict.idempotencyKey ?? parsed.request.bodyIdempotencyKey;
  if (key === null) return { kind: 'bad-request', reason: 'no idempotency key' };
  if (verdict.assurance === 'token') deps.log.info({ security: true, event: 'itsm.lower_assurance', profile }, 'ITSM request authenticated by bearer token only: it is checked against the ticket before anything runs');

  const id = itsmRequestId(profile, sha256(`${profile}\n${key}`));
  const bodySha256 = sha256(http.rawBody);
  const request = newRequest({ id, profile, idempotencyKey: key, bodySha256, assurance: verdict.assurance, ...parsed.request, nowIso: new Date(now).toISOString() });
  const created = await deps.store.create(request);
  if (!created.ok) {
    const existing = await deps.store.get(id);
    if (!existing) throw new Error(`ITSM request ${id} exists and cannot be read`);
    if (existing.request.bodySha256 === bodySha256) return { kind: 'replayed', request: existing.request };
    deps.log.warn({ security: true, event: 'itsm.idempotency_mismatch', profile, request: id }, 'ITSM webhook reused an idempotency key with a different body');
    return { kind: 'mismatch', requestId: id };
  }
  // Both after the record, both best effort, at once: the request's first advance writes the note too (the outbox
  // keeps one entry per id), and the reconciler queues a request whose job did not make it.
  const [, queued] = await Promise.all([
    deps.outbox.put({ ...acceptedNote(request), kind: 'ticket-note', ticket: request.ticket, createdAt: request.receivedAt }).catch((err: unknown) => {
      deps.log.warn({ request: id, error: err instanceof Error ? err.message : String(err) }, 'accepted note not stored yet; the request writes it when it advances');
    }),
    withTimeout(deps.queue.enqueue(id), deps.enqueueTimeoutMs ?? 1000).then(
      () => true,
      (err: unknown) => {
        deps.log.warn({ request: id, error: err instanceof Error ? err.message : String(err) }, 'ITSM request recorded but not queued (Redis unavailable?); the reconciler queues it');
        return false;
      },
    ),
  ]);
  deps.log.info({ request: id, profile, ticket: parsed.request.ticket, action: request.action, queued }, 'ITSM rotation request accepted');
  return { kind: 'accepted', request, queued };
}
