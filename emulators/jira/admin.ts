// Admin HTTP API under /_admin (unauthenticated, loopback only) for people trying the local demo and for tests in
// other processes: seed and change issues, record approval decisions, inject outages, fire webhooks, read the logs.
// JSON in and out; errors `{"error":"…"}`. Secrets posted to /_admin/webhooks/fire are never echoed back.
import type { CreateIssueInput, FireWebhookInput, JiraEmulator, UpdateIssuePatch } from './types.js';

export interface AdminResponse {
  readonly status: number;
  readonly body?: unknown;
}

type AdminTarget = Pick<JiraEmulator, 'createIssue' | 'updateIssue' | 'decide' | 'issue' | 'issues' | 'comments' | 'outage' | 'requests' | 'fireWebhook' | 'deliveries'>;

const fail = (status: number, message: string): AdminResponse => ({ status, body: { error: message } });
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function parseJson(raw: Buffer): Record<string, unknown> | null {
  if (raw.length === 0) return {};
  try {
    const v = JSON.parse(raw.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function createInput(b: Record<string, unknown>): CreateIssueInput | string {
  if (typeof b['project'] !== 'string') return 'project is required';
  if (typeof b['summary'] !== 'string') return 'summary is required';
  if (b['issueType'] !== undefined && typeof b['issueType'] !== 'string') return 'issueType must be a string';
  if (b['status'] !== undefined && typeof b['status'] !== 'string') return 'status must be a string';
  if (b['fields'] !== undefined && !isRecord(b['fields'])) return 'fields must be an object';
  if (b['labels'] !== undefined && !(Array.isArray(b['labels']) && b['labels'].every((l) => typeof l === 'string'))) return 'labels must be a list of strings';
  if (b['approvals'] !== undefined && !(Array.isArray(b['approvals']) && b['approvals'].every(isRecord))) return 'approvals must be a list of objects';
  return b as unknown as CreateIssueInput;
}

function patchInput(b: Record<string, unknown>): UpdateIssuePatch | string {
  if (b['status'] !== undefined && typeof b['status'] !== 'string') return 'status must be a string';
  if (b['summary'] !== undefined && typeof b['summary'] !== 'string') return 'summary must be a string';
  if (b['fields'] !== undefined && !isRecord(b['fields'])) return 'fields must be an object';
  return b as UpdateIssuePatch;
}

function fireInput(b: Record<string, unknown>): FireWebhookInput | string {
  for (const k of ['url', 'secret', 'issueKey'] as const) if (typeof b[k] !== 'string') return `${k} is required`;
  for (const k of ['event', 'identifier'] as const) if (b[k] !== undefined && typeof b[k] !== 'string') return `${k} must be a string`;
  if (b['retries'] !== undefined && typeof b['retries'] !== 'number') return 'retries must be a number';
  return b as unknown as FireWebhookInput;
}

export async function handleAdmin(method: string, url: URL, raw: Buffer, target: AdminTarget): Promise<AdminResponse> {
  const path = url.pathname.replace(/\/+$/, '');
  const body = parseJson(raw);
  if (method !== 'GET' && !body) return fail(400, 'body must be a JSON object');
  const b = body ?? {};
  try {
    if (path === '/_admin/issues') {
      if (method === 'GET') return { status: 200, body: target.issues() };
      if (method !== 'POST') return fail(405, 'use GET or POST');
      const input = createInput(b);
      if (typeof input === 'string') return fail(400, input);
      return { status: 201, body: target.createIssue(input) };
    }
    const m = /^\/_admin\/issues\/([^/]+)(?:\/(decide|comments))?$/.exec(path);
    if (m?.[1]) {
      const key = decodeURIComponent(m[1]);
      if (!target.issue(key)) return fail(404, `unknown issue ${key}`);
      if (m[2] === 'comments') return method === 'GET' ? { status: 200, body: target.comments(key) } : fail(405, 'use GET');
      if (m[2] === 'decide') {
        if (method !== 'POST') return fail(405, 'use POST');
        const decision = b['decision'];
        if (decision !== 'approved' && decision !== 'declined') return fail(400, 'decision must be "approved" or "declined"');
        const index = b['index'];
        if (index !== undefined && !(typeof index === 'number' && Number.isInteger(index) && index >= 0)) return fail(400, 'index must be a non-negative integer');
        target.decide(key, decision, index);
        return { status: 200, body: target.issue(key) };
      }
      if (method === 'GET') return { status: 200, body: target.issue(key) };
      if (method !== 'PATCH') return fail(405, 'use GET or PATCH');
      const patch = patchInput(b);
      if (typeof patch === 'string') return fail(400, patch);
      target.updateIssue(key, patch);
      return { status: 200, body: target.issue(key) };
    }
    if (path === '/_admin/outage') {
      if (method !== 'POST') return fail(405, 'use POST');
      if (b['status'] === undefined) target.outage(null);
      else {
        const status = b['status'];
        const count = b['count'];
        if (typeof status !== 'number' || (count !== undefined && typeof count !== 'number')) return fail(400, 'body must be {"status":<number>,"count"?:<number>} or {}');
        target.outage(count === undefined ? { status } : { status, count });
      }
      return { status: 204 };
    }
    if (path === '/_admin/webhooks/fire') {
      if (method !== 'POST') return fail(405, 'use POST');
      const input = fireInput(b);
      if (typeof input === 'string') return fail(400, input);
      if (!target.issue(input.issueKey)) return fail(404, `unknown issue ${input.issueKey}`);
      return { status: 200, body: await target.fireWebhook(input) };
    }
    if (path === '/_admin/requests') return method === 'GET' ? { status: 200, body: target.requests() } : fail(405, 'use GET');
    if (path === '/_admin/deliveries') return method === 'GET' ? { status: 200, body: target.deliveries() } : fail(405, 'use GET');
    return fail(404, 'no such admin endpoint');
  } catch (e) {
    // The TS API throws Error for bad input (unknown status, project, field, …): a 400 naming it.
    return fail(400, message(e));
  }
}
