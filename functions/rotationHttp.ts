// HTTP handlers for rotations: start one (or a dry run printing the plan), and read a run with its steps.
import { z } from 'zod';
import type { HttpInput, HttpOutput } from './definitions.js';
import type { Services } from './services.js';
import { parseJsonBody } from '../app/jsonInput.js';

const startBody = z.object({ dryRun: z.boolean().optional(), requestedBy: z.string().min(1).max(200).optional() }).strict();

/** The request body read with `schema` (an empty body reads as `{}`), or the 400 to answer, naming each bad field. */
function readBody<T>(req: HttpInput, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; reply: HttpOutput } {
  let body: unknown = {};
  if (req.rawBody.length > 0) {
    const json = parseJsonBody(req.rawBody);
    if (!json.ok) return { ok: false, reply: { status: 400, jsonBody: { error: json.reason } } };
    body = json.value;
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { ok: false, reply: { status: 400, jsonBody: { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') } } };
  return { ok: true, value: parsed.data };
}

export async function startRotationHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const id = req.params['id'] ?? '';
  const parsed = readBody(req, startBody);
  if (!parsed.ok) return parsed.reply;
  const result = await services.startRotation(id, { requestedBy: parsed.value.requestedBy ?? 'api', ...(parsed.value.dryRun ? { dryRun: true } : {}) });
  switch (result.kind) {
    case 'unknown-protector':
      return { status: 404, jsonBody: { error: `unknown protector "${id}"` } };
    case 'dry-run':
      return { status: 200, jsonBody: result.plan };
    case 'busy':
      return { status: 409, jsonBody: { error: `a rotation of ${id} is already running` } };
    case 'unavailable':
      return { status: 503, headers: { 'retry-after': '30' }, jsonBody: { error: 'the estate in use could not be checked for a failover; try again shortly', detail: result.reason } };
    case 'refused':
      return { status: 422, jsonBody: { error: 'preflight failed', run: result.run } };
    case 'started':
      return { status: 202, headers: { location: `/api/rotations/${result.run.id}` }, jsonBody: result.run };
  }
}

export async function rotationHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const id = req.params['id'] ?? '';
  const run = await services.getRotation(id);
  return run ? { status: 200, jsonBody: run } : { status: 404, jsonBody: { error: `unknown rotation "${id}"` } };
}

/** POST /api/protectors/{id}/versions/{vault}/{version}/disable — the retirement gate (DESIGN.md §4.5, I3). */
export async function retireVersionHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const { id = '', vault = '', version = '' } = req.params;
  if (!/^[0-9a-f]{32}$/i.test(version)) return { status: 400, jsonBody: { error: 'version must be a 32-hex Key Vault version id' } };
  const result = await services.retireVersion(id, vault.toLowerCase(), version.toLowerCase());
  if (result === null) return { status: 404, jsonBody: { error: `unknown protector "${id}"` } };
  return result.disabled ? { status: 200, jsonBody: result } : { status: 409, jsonBody: result };
}

const rewrapBody = z
  .object({
    toVersion: z.string().regex(/^[0-9a-fA-F]{32}$/, { message: 'must be a 32-hex Key Vault version id' }),
    fromVersion: z.string().regex(/^[0-9a-fA-F]{32}$/, { message: 'must be a 32-hex Key Vault version id' }).optional(),
    vault: z.string().min(3).max(48).optional(),
  })
  .strict();

/** POST /api/protectors/{id}/rewraps — queues a DEK rewrap campaign (Cosmos CEKs or keysteward's DEK store). */
export async function startRewrapHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const id = req.params['id'] ?? '';
  const parsed = readBody(req, rewrapBody);
  if (!parsed.ok) return parsed.reply;
  const { toVersion, fromVersion, vault } = parsed.value;
  const result = await services.startRewrap(id, { toVersion, ...(fromVersion ? { fromVersion } : {}), ...(vault ? { vault } : {}) });
  switch (result.kind) {
    case 'unknown-protector':
      return { status: 404, jsonBody: { error: result.error } };
    case 'bad-request':
      return { status: 422, jsonBody: { error: result.error } };
    case 'queued':
      return { status: 202, headers: { location: `/api/rewraps/${result.status.request.id}` }, jsonBody: result.status };
  }
}

/** GET /api/rewraps/{id} — a campaign's state, counters and (once complete) summary. */
export async function rewrapHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const id = req.params['id'] ?? '';
  const status = await services.getRewrap(id);
  return status ? { status: 200, jsonBody: status } : { status: 404, jsonBody: { error: `unknown rewrap campaign "${id}"` } };
}
