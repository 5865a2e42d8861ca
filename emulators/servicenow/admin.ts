// Admin HTTP API under /_admin (unauthenticated, loopback only) for people trying the local demo and for scripts and
// tests in other processes: seed and change records (approve a change), read records and journals, inject outages,
// play the business-rule sender, read the logs. JSON in and out; errors `{"error":"…"}` with 400 / 404 (405 for a
// wrong method). Secrets posted to /_admin/send are never echoed back.
import { tableDef } from './tables.js';
import type { SendRotationRequestInput, ServiceNowEmulator } from './types.js';

export interface AdminResponse {
  readonly status: number;
  readonly body?: unknown;
}

type AdminTarget = Pick<ServiceNowEmulator, 'createRecord' | 'updateRecord' | 'record' | 'records' | 'journal' | 'outage' | 'requests' | 'sendRotationRequest' | 'outboundLog'>;

const fail = (status: number, message: string): AdminResponse => ({ status, body: { error: message } });
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The body as JSON; undefined when it is not JSON. An empty body is null. */
function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8').trim();
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Record fields as strings: numbers and booleans are written as ServiceNow stores them; anything else is refused. */
function fieldsOf(v: unknown): Record<string, string> | string {
  if (v === null) return {};
  if (!isObject(v)) return 'body must be a JSON object of fields';
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string') out[k] = x;
    else if (typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
    else return `field ${k} must be a string`;
  }
  return out;
}

function sendInput(v: unknown): SendRotationRequestInput | string {
  if (!isObject(v)) return 'body must be {"url","secret","change","protector","action"?,"webhookId"?,"timestamp"?}';
  for (const k of ['url', 'secret', 'change', 'protector'] as const) if (typeof v[k] !== 'string') return `${k} is required`;
  for (const k of ['action', 'webhookId'] as const) if (v[k] !== undefined && typeof v[k] !== 'string') return `${k} must be a string`;
  if (v['timestamp'] !== undefined && typeof v['timestamp'] !== 'number') return 'timestamp must be a number';
  return v as unknown as SendRotationRequestInput;
}

export async function handleAdmin(method: string, url: URL, raw: Buffer, target: AdminTarget): Promise<AdminResponse> {
  const path = url.pathname.replace(/\/+$/, '');
  const body = parseJson(raw);
  if (method !== 'GET' && body === undefined) return fail(400, 'body must be JSON');
  try {
    if (path === '/_admin/outage') {
      if (method !== 'POST') return fail(405, 'use POST');
      if (body === null || (isObject(body) && body['status'] === undefined)) target.outage(null);
      else {
        const status = isObject(body) ? body['status'] : undefined;
        const count = isObject(body) ? body['count'] : undefined;
        if (typeof status !== 'number' || (count !== undefined && typeof count !== 'number')) return fail(400, 'body must be {"status":<number>,"count"?:<number>}, {} or null');
        target.outage(count === undefined ? { status } : { status, count });
      }
      return { status: 204 };
    }
    if (path === '/_admin/send') {
      if (method !== 'POST') return fail(405, 'use POST');
      const input = sendInput(body);
      if (typeof input === 'string') return fail(400, input);
      if (!target.record('change_request', input.change)) return fail(404, `unknown change ${input.change}`);
      return { status: 200, body: await target.sendRotationRequest(input) };
    }
    if (path === '/_admin/requests') return method === 'GET' ? { status: 200, body: target.requests() } : fail(405, 'use GET');
    if (path === '/_admin/outbound') return method === 'GET' ? { status: 200, body: target.outboundLog() } : fail(405, 'use GET');

    const m = /^\/_admin\/([^/]+)(?:\/([^/]+)(\/journal)?)?$/.exec(path);
    if (!m?.[1]) return fail(404, 'no such admin endpoint');
    const table = decodeURIComponent(m[1]);
    if (!tableDef(table)) return fail(404, `unknown table ${table}`);
    if (m[2] === undefined) {
      if (method === 'GET') return { status: 200, body: target.records(table) };
      if (method !== 'POST') return fail(405, 'use GET or POST');
      const fields = fieldsOf(body);
      if (typeof fields === 'string') return fail(400, fields);
      return { status: 201, body: target.createRecord(table, fields) };
    }
    const id = decodeURIComponent(m[2]);
    if (!target.record(table, id)) return fail(404, `unknown ${table} record ${id}`);
    if (m[3]) return method === 'GET' ? { status: 200, body: target.journal(table, id) } : fail(405, 'use GET');
    if (method === 'GET') return { status: 200, body: target.record(table, id) };
    if (method !== 'PATCH') return fail(405, 'use GET or PATCH');
    const fields = fieldsOf(body);
    if (typeof fields === 'string') return fail(400, fields);
    return { status: 200, body: target.updateRecord(table, id, fields) };
  } catch (e) {
    // The TS API throws Error for bad input (an unknown field, an invalid choice, the data policy): a 400 naming it.
    return fail(400, message(e));
  }
}
