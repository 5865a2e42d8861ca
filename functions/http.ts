// HTTP handlers (DESIGN.md §4.4): health, protectors, Event Grid delivery with its validation handshake, and
// the dashboard. Each parses its input, calls one use case, and maps the result.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { HttpInput, HttpOutput } from './definitions.js';
import type { Services } from './services.js';
import { parseJsonBody } from '../app/jsonInput.js';
import { MAX_PROTECTOR_PAGE } from '../app/queries.js';

export async function healthHandler(services: Services): Promise<HttpOutput> {
  const dependencies = await services.checkHealth();
  const ok = Object.values(dependencies).every((d) => d.status !== 'down');
  return { status: ok ? 200 : 503, jsonBody: { status: ok ? 'ok' : 'degraded', dependencies } };
}

// Not strict: a Function App request may carry its function key as `code`.
const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PROTECTOR_PAGE).default(100),
  after: z.string().min(1).max(256).optional(),
});

/**
 * GET /api/protectors: every protector, or with `limit` and/or `after` one page in id order plus `next` (the `after` of
 * the following page, null on the last) — at 10,000 protectors the whole list is megabytes and seconds.
 */
export async function protectorsHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  if (!req.query.has('limit') && !req.query.has('after')) return { status: 200, jsonBody: { protectors: await services.listProtectors() } };
  const parsed = pageQuery.safeParse(Object.fromEntries(req.query));
  if (!parsed.success) return { status: 400, jsonBody: { error: `bad paging: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ')}` } };
  const page = await services.listProtectorsPage({ after: parsed.data.after ?? null, limit: parsed.data.limit });
  return { status: 200, jsonBody: page };
}

export async function protectorHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const id = req.params['id'] ?? '';
  const detail = await services.describeProtector(id);
  return detail ? { status: 200, jsonBody: detail } : { status: 404, jsonBody: { error: `unknown protector "${id}"` } };
}

/** GET /api/discovery — discovery's last run, findings, drift and the overlay in use (issue 8). */
export async function discoveryHandler(services: Services): Promise<HttpOutput> {
  return { status: 200, jsonBody: await services.discoveryStatus() };
}

const validationEvent = z.object({ eventType: z.literal('Microsoft.EventGrid.SubscriptionValidationEvent'), data: z.object({ validationCode: z.string().min(1) }) });

/** Constant-time comparison of digests: neither the key nor its length leaks through timing. */
export function keyMatches(expected: string | undefined, given: string | undefined): boolean {
  if (expected === undefined) return true;
  if (given === undefined) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** Event Grid delivers at most 1 MB per batch; the route allows 64 KiB above it (both hosts enforce it, 413). */
export const MAX_EVENT_GRID_BODY = 1_048_576 + 65_536;

/**
 * Event Grid webhook: answers the subscription validation handshake (Event Grid schema) and the CloudEvents
 * abuse-protection OPTIONS; delivers Key Vault events to ingestion. When EVENTGRID_KEY is set the delivery must
 * carry it (`aeg-sas-key` header or `code` query), compared in constant time.
 */
export async function eventGridHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  if (req.method === 'OPTIONS') {
    const origin = req.headers['webhook-request-origin'];
    return origin ? { status: 200, headers: { 'webhook-allowed-origin': origin, allow: 'POST' } } : { status: 400, jsonBody: { error: 'missing WebHook-Request-Origin' } };
  }
  if (!keyMatches(services.config.eventGridKey, req.headers['aeg-sas-key'] ?? req.query.get('code') ?? undefined)) {
    return { status: 401, jsonBody: { error: 'unauthorized' } };
  }
  const parsed = parseJsonBody(req.rawBody);
  if (!parsed.ok) return { status: 400, jsonBody: { error: parsed.reason } };
  const body = parsed.value;
  const first = Array.isArray(body) ? body[0] : body;
  const validation = validationEvent.safeParse(first);
  if (validation.success) return { status: 200, jsonBody: { validationResponse: validation.data.data.validationCode } };
  // Each delivery is its own poison "partition" (by content hash), so rejected events never overwrite each other.
  const partitionId = `eventgrid-${createHash('sha256').update(req.rawBody).digest('hex').slice(0, 24)}`;
  // Applied or poisoned in full, or thrown: the host answers 500 and Event Grid redelivers the whole batch (I4).
  const summary = await services.ingest([{ body, partitionId, offset: req.headers['aeg-delivery-count'] ?? '0', sequenceNumber: 0 }]);
  return { status: 200, jsonBody: { received: summary.records, rejected: summary.rejected } };
}
