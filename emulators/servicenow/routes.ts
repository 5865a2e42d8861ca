// The Table API: GET (list, one record), POST, PATCH and PUT on /api/now/table/{table}[/{sys_id}] (also under the
// versioned /api/now/v1|v2/table path ServiceNow serves). Called after the outage switch, authentication and the
// rate limit (server.ts); handlers return a Reply or throw a SnowError and change state only through SnowStore.
// ACL [doc, simplified]: change_request / incident (and their journal rows) need role itil or admin — without it a
// list is empty, a record is "not found" and a write is refused; cmdb_ci / sys_user are readable by every user
// and writable with admin [inferred]; sys_journal_field is never writable.
import type { Principal } from './auth.js';
import { aclWriteDenied, bodyNotObject, invalidJson, invalidTable, methodNotAllowed, noRecord, noResource, type Reply } from './errors.js';
import { compileQuery } from './query.js';
import { parseFields, renderRecord, type RenderOptions } from './render.js';
import type { SnowStore, StoredRecord } from './store.js';
import { tableDef, type TableDef } from './tables.js';

export interface TableRequest {
  readonly method: string;
  readonly url: URL;
  readonly body: Buffer;
}

export interface TableContext {
  readonly store: SnowStore;
  /** The instance's base URL, for reference links and Location. */
  readonly base: string;
}

const PATH = /^\/api\/now\/(?:v[0-9]+\/)?table\/([^/]+)(?:\/([^/]+))?\/?$/;
const DEFAULT_LIMIT = 10_000;

const taskRole = (p: Principal): boolean => p.roles.has('itil') || p.roles.has('admin');

function readable(p: Principal, rec: StoredRecord): boolean {
  if (rec.table.itilAcl) return taskRole(p);
  if (rec.table.name === 'sys_journal_field') return tableDef(rec.values.get('name') ?? '')?.itilAcl !== true || taskRole(p);
  return true;
}

function writable(p: Principal, def: TableDef): boolean {
  if (def.readOnly) return false;
  return def.itilAcl ? taskRole(p) : p.roles.has('admin');
}

/** [inferred] a value that is not a non-negative integer falls back to the default, as ServiceNow does not refuse it. */
function intParam(raw: string | null, fallback: number, min: number): number {
  if (raw === null || !/^[0-9]+$/.test(raw.trim())) return fallback;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= min ? n : fallback;
}

function renderOptions(url: URL): RenderOptions {
  return { fields: parseFields(url.searchParams.get('sysparm_fields')), referenceLinks: url.searchParams.get('sysparm_exclude_reference_link') !== 'true' };
}

/** A JSON object body; an empty body is an empty object [inferred]. */
function jsonBody(raw: Buffer): Record<string, unknown> {
  if (raw.toString('utf8').trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalidJson();
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bodyNotObject();
  return v as Record<string, unknown>;
}

/** RFC 5988 Link header of ServiceNow's paging: first, prev, next, last [observed]. */
function linkHeader(ctx: TableContext, url: URL, offset: number, limit: number, total: number): string | null {
  const more = offset + limit < total;
  if (!more && offset === 0) return null;
  const at = (o: number): string => {
    const u = new URL(url.pathname, ctx.base);
    for (const [k, v] of url.searchParams) if (k !== 'sysparm_offset' && k !== 'sysparm_limit') u.searchParams.append(k, v);
    u.searchParams.set('sysparm_limit', String(limit));
    u.searchParams.set('sysparm_offset', String(o));
    return u.toString();
  };
  const links = [`<${at(0)}>;rel="first"`];
  if (offset > 0) links.push(`<${at(Math.max(0, offset - limit))}>;rel="prev"`);
  if (more) links.push(`<${at(offset + limit)}>;rel="next"`);
  links.push(`<${at(total === 0 ? 0 : Math.floor((total - 1) / limit) * limit)}>;rel="last"`);
  return links.join(',');
}

function list(ctx: TableContext, def: TableDef, url: URL, p: Principal): Reply {
  const query = compileQuery(ctx.store, def, url.searchParams.get('sysparm_query') ?? '');
  const matched = ctx.store
    .list(def)
    .filter((r) => readable(p, r) && query.matches(r))
    .sort(query.compare); // Array#sort is stable: ties keep insertion order
  const limit = intParam(url.searchParams.get('sysparm_limit'), DEFAULT_LIMIT, 1);
  const offset = intParam(url.searchParams.get('sysparm_offset'), 0, 0);
  const o = renderOptions(url);
  const result = matched.slice(offset, offset + limit).map((r) => renderRecord(ctx.base, ctx.store, r, o));
  const link = linkHeader(ctx, url, offset, limit, matched.length);
  return { status: 200, body: { result }, headers: { 'X-Total-Count': String(matched.length), ...(link ? { Link: link } : {}) } };
}

function visible(ctx: TableContext, def: TableDef, sysId: string, p: Principal): StoredRecord {
  const rec = ctx.store.bySysId(def, sysId);
  if (!rec || !readable(p, rec)) throw noRecord();
  return rec;
}

export function handleTable(ctx: TableContext, req: TableRequest, p: Principal): Reply {
  const m = PATH.exec(req.url.pathname);
  if (!m?.[1]) throw noResource();
  const name = decodeURIComponent(m[1]);
  const def = tableDef(name);
  if (!def) throw invalidTable(name);
  const o = renderOptions(req.url);

  if (m[2] === undefined) {
    if (req.method === 'GET') return list(ctx, def, req.url, p);
    if (req.method !== 'POST') throw methodNotAllowed(['GET', 'POST']);
    if (!writable(p, def)) throw aclWriteDenied();
    const rec = ctx.store.insert(def, jsonBody(req.body), p.name, 'api');
    const sysId = rec.values.get('sys_id') ?? '';
    return { status: 201, body: { result: renderRecord(ctx.base, ctx.store, rec, o) }, headers: { Location: `${ctx.base}/api/now/table/${def.name}/${sysId}` } };
  }

  const sysId = decodeURIComponent(m[2]);
  if (req.method === 'GET') return { status: 200, body: { result: renderRecord(ctx.base, ctx.store, visible(ctx, def, sysId, p), o) } };
  // ServiceNow's PUT is a partial update like PATCH [doc]: fields not in the body keep their values.
  if (req.method !== 'PATCH' && req.method !== 'PUT') throw methodNotAllowed(['GET', 'PUT', 'PATCH']);
  if (!writable(p, def)) throw aclWriteDenied();
  const rec = visible(ctx, def, sysId, p);
  const body = jsonBody(req.body);
  return { status: 200, body: { result: renderRecord(ctx.base, ctx.store, ctx.store.update(rec, body, p.name, 'api'), o) } };
}
