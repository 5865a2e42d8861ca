// HTTP handlers for ITSM (DESIGN.md §4.4, §4.6): the inbound webhook of each profile, and a request's record.
import type { HttpInput, HttpOutput } from './definitions.js';
import type { Services } from './services.js';

/** POST /api/itsm/{profile} — the raw bytes go to the verifier untouched (a re-serialised body would not verify). */
export async function itsmWebhookHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const result = await services.receiveItsm({ profile: req.params['profile'] ?? '', headers: req.headers, duplicated: req.duplicatedHeaders ?? [], rawBody: req.rawBody });
  switch (result.kind) {
    case 'unknown-profile':
      return { status: 404, jsonBody: { error: 'no such ITSM profile is configured' } };
    case 'too-large':
      return { status: 413, jsonBody: { error: 'body larger than 64 KiB' } };
    case 'unsupported-media':
      return { status: 415, jsonBody: { error: 'content-type must be application/json' } };
    case 'unauthenticated':
      return { status: result.status, jsonBody: { error: result.reason } };
    case 'bad-request':
      return { status: 400, jsonBody: { error: result.reason } };
    case 'mismatch':
      return { status: 422, jsonBody: { error: 'this idempotency key was used with a different body', request: result.requestId } };
    case 'replayed':
      return { status: 200, headers: { 'idempotent-replayed': 'true', location: `/api/itsm/requests/${result.request.id}` }, jsonBody: view(result.request) };
    case 'accepted':
      return { status: 202, headers: { location: `/api/itsm/requests/${result.request.id}` }, jsonBody: view(result.request) };
  }
}

function view(r: { id: string; state: string; reason: string; protector: string | null; requestedProtector: string | null; action: string }): Record<string, unknown> {
  return { id: r.id, state: r.state, reason: r.reason, action: r.action, protector: r.protector ?? r.requestedProtector };
}

/** GET /api/itsm/requests/{id} — the ticket, every state change with its reason, the rotation run. */
export async function itsmRequestHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const id = req.params['id'] ?? '';
  const request = await services.getItsmRequest(id);
  if (!request) return { status: 404, jsonBody: { error: `unknown ITSM request "${id}"` } };
  const { bodySha256: _hash, ...shown } = request;
  return { status: 200, jsonBody: { ...shown, run: request.runId ? `/api/rotations/${request.runId}` : null } };
}
