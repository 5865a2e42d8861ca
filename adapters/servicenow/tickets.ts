// ServiceNow as a TicketSystem, through the Table API with keysteward's own credentials: a change_request read and
// judged (approval, state, planned start/end, the protector it names), work notes on changes and incidents, and
// incidents opened (correlation_id = the alert group's key, so a redelivery finds the one it opened) and resolved.
// The one place that translates ServiceNow's record shapes into domain TicketFacts.
import { ItsmRefusedError, type IncidentTicketInput, type TicketSystem } from '../../app/itsm/ports.js';
import type { TicketFacts } from '../../domain/itsm/approval.js';
import type { TicketRef } from '../../domain/itsm/request.js';
import { restJson, type RestReply } from '../itsm/rest.js';
import { serviceNowAuth, type ServiceNowCredentials } from './auth.js';

export interface ServiceNowOptions {
  /** https://<instance>.service-now.com (no trailing slash needed). */
  readonly url: string;
  readonly credentials: ServiceNowCredentials;
  /** The change field naming the protector: a string field (default `u_keysteward_protector`) or `cmdb_ci`. */
  readonly protectorField?: string;
  /** With protectorField `cmdb_ci`: CI name → protector id (a CI without an entry names the protector of its own name). */
  readonly ciMap?: ReadonlyMap<string, string>;
  /** change_request states that allow implementation (default -2 Scheduled, -1 Implement). */
  readonly implementStates?: readonly string[];
  /** Incidents keysteward opens: optional assignment group and category. */
  readonly incident?: { readonly assignmentGroup?: string; readonly category?: string };
  readonly fetchImpl?: typeof fetch;
  readonly timeoutMs?: number;
}

const STATE_LABELS: Readonly<Record<string, string>> = { '-5': 'New', '-4': 'Assess', '-3': 'Authorize', '-2': 'Scheduled', '-1': 'Implement', '0': 'Review', '3': 'Closed', '4': 'Canceled' };
const CLOSED_STATES = new Set(['3', '4']);
const RESOLVED_INCIDENT = new Set(['6', '7', '8']);
const SYS_ID = /^[0-9a-f]{32}$/;

/** `YYYY-MM-DD HH:mm:ss` (UTC, as the Table API returns it with sysparm_display_value=false) → epoch ms. */
export function serviceNowTime(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value)) return null;
  const ms = Date.parse(`${value.replace(' ', 'T')}Z`);
  return Number.isFinite(ms) ? ms : null;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function approvalOf(value: string): TicketFacts['approval'] {
  if (value === 'approved') return 'approved';
  if (value === 'rejected') return 'rejected';
  if (value === 'requested') return 'pending';
  return 'not-requested';
}

export function createServiceNowTickets(o: ServiceNowOptions): TicketSystem {
  const base = o.url.replace(/\/+$/, '');
  const auth = serviceNowAuth(base, o.credentials, o.fetchImpl ? { fetchImpl: o.fetchImpl } : {});
  const protectorField = o.protectorField ?? 'u_keysteward_protector';
  const implementable = new Set(o.implementStates ?? ['-2', '-1']);
  const restOpts = { ...(o.fetchImpl ? { fetchImpl: o.fetchImpl } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) };

  const call = async (method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<RestReply> => {
    const send = async (): Promise<RestReply> => restJson('servicenow', { method, url: `${base}${path}`, headers: { authorization: await auth.get() }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }, restOpts);
    try {
      return await send();
    } catch (err) {
      // An OAuth token the instance no longer honours: once more with a fresh one.
      if (err instanceof ItsmRefusedError && err.status === 401 && o.credentials.kind === 'oauth') {
        auth.invalidate();
        return send();
      }
      throw err;
    }
  };
  const result = (reply: RestReply): Record<string, unknown> | null => {
    const r = (reply.json as { result?: unknown } | null)?.result;
    if (Array.isArray(r)) return (r[0] as Record<string, unknown> | undefined) ?? null;
    return typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : null;
  };
  const q = (params: Record<string, string>): string => new URLSearchParams({ sysparm_exclude_reference_link: 'true', sysparm_display_value: 'false', ...params }).toString();

  /** The record a ref names: by sys_id when it has one, else by number. */
  const find = async (table: string, ref: { number: string | null; sysId: string | null }, fields: string): Promise<Record<string, unknown> | null> => {
    if (ref.sysId !== null && SYS_ID.test(ref.sysId)) {
      const reply = await call('GET', `/api/now/table/${table}/${ref.sysId}?${q({ sysparm_fields: fields })}`);
      return reply.status === 404 ? null : result(reply);
    }
    if (ref.number === null || !/^[A-Za-z0-9]+$/.test(ref.number)) return null;
    const reply = await call('GET', `/api/now/table/${table}?${q({ sysparm_query: `number=${ref.number}`, sysparm_limit: '1', sysparm_fields: fields })}`);
    return result(reply);
  };
  const sysIdOf = async (ref: TicketRef): Promise<{ table: string; sysId: string }> => {
    if (ref.system !== 'servicenow') throw new Error('not a ServiceNow ticket');
    if (ref.sysId !== null && SYS_ID.test(ref.sysId)) return { table: ref.table, sysId: ref.sysId };
    const record = await find(ref.table, ref, 'sys_id');
    const sysId = str(record?.['sys_id']);
    if (!SYS_ID.test(sysId)) throw new ItsmRefusedError('servicenow', 404, `servicenow has no ${ref.table} ${ref.number ?? ''}`);
    return { table: ref.table, sysId };
  };
  const protectorsOf = async (value: string): Promise<string[]> => {
    if (value === '') return [];
    if (protectorField !== 'cmdb_ci') return value.split(',').map((s) => s.trim()).filter(Boolean);
    const ci = await find('cmdb_ci', { number: null, sysId: value }, 'name');
    const name = str(ci?.['name']);
    return name ? [o.ciMap?.get(name) ?? name] : [];
  };

  return {
    system: 'servicenow',
    async readChange(ref) {
      if (ref.system !== 'servicenow') return null;
      const record = await find('change_request', ref, ['sys_id', 'number', 'approval', 'state', 'start_date', 'end_date', protectorField].join(','));
      if (!record) return null;
      const state = str(record['state']);
      return {
        ref: { system: 'servicenow', table: 'change_request', number: str(record['number']) || null, sysId: str(record['sys_id']) || null },
        approval: approvalOf(str(record['approval'])),
        implementable: implementable.has(state),
        closed: CLOSED_STATES.has(state),
        stateLabel: STATE_LABELS[state] ?? `state ${state}`,
        windowStart: serviceNowTime(record['start_date']),
        windowEnd: serviceNowTime(record['end_date']),
        protectors: await protectorsOf(str(record[protectorField])),
      };
    },
    async addNote(ref, text) {
      const { table, sysId } = await sysIdOf(ref);
      const reply = await call('PATCH', `/api/now/table/${table}/${sysId}?${q({ sysparm_fields: 'sys_id' })}`, { work_notes: text });
      if (reply.status === 404) throw new ItsmRefusedError('servicenow', 404, `servicenow has no ${table} ${sysId}`);
    },
    async findIncident(correlationId) {
      // It goes into an encoded query: `^` would start another condition.
      if (!/^[A-Za-z0-9_-]{1,100}$/.test(correlationId)) throw new Error('correlation ids are [A-Za-z0-9_-]{1,100}');
      const reply = await call('GET', `/api/now/table/incident?${q({ sysparm_query: `correlation_id=${correlationId}`, sysparm_limit: '1', sysparm_fields: 'sys_id,number' })}`);
      const record = result(reply);
      return record ? { system: 'servicenow', table: 'incident', number: str(record['number']) || null, sysId: str(record['sys_id']) || null } : null;
    },
    async openIncident(input: IncidentTicketInput) {
      const reply = await call('POST', `/api/now/table/incident?${q({ sysparm_fields: 'sys_id,number' })}`, {
        short_description: input.summary.slice(0, 160),
        description: input.description,
        urgency: String(input.urgency),
        impact: String(input.urgency),
        correlation_id: input.correlationId,
        correlation_display: 'keysteward',
        ...(o.incident?.category ? { category: o.incident.category } : {}),
        ...(o.incident?.assignmentGroup ? { assignment_group: o.incident.assignmentGroup } : {}),
      });
      const record = result(reply);
      if (reply.status !== 201 || !record) throw new Error(`servicenow POST incident answered ${reply.status}`);
      return { system: 'servicenow', table: 'incident', number: str(record['number']) || null, sysId: str(record['sys_id']) || null };
    },
    async resolveIncident(ref, note) {
      const { table, sysId } = await sysIdOf(ref);
      const current = result(await call('GET', `/api/now/table/${table}/${sysId}?${q({ sysparm_fields: 'state' })}`));
      if (current && RESOLVED_INCIDENT.has(str(current['state']))) return;
      await call('PATCH', `/api/now/table/${table}/${sysId}?${q({ sysparm_fields: 'sys_id' })}`, { state: '6', close_code: 'Solution provided', close_notes: note });
    },
  };
}
