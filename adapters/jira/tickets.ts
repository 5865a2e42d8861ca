// Jira Cloud / Jira Service Management as a TicketSystem, through the REST API with keysteward's own credentials
// (Basic email:API-token): a change issue read and judged — its JSM approvals, its status, the window and protector
// from configured fields — comments (Atlassian Document Format) on changes and incidents, and incident issues opened
// (labelled with the alert group's key, so a redelivery finds the one it opened) and moved to a done status.
// The one place that translates Jira's issue shapes into domain TicketFacts.
import { ItsmRefusedError, type IncidentTicketInput, type TicketSystem } from '../../app/itsm/ports.js';
import type { ApprovalStatus, TicketFacts } from '../../domain/itsm/approval.js';
import { parseInstant } from '../../domain/time.js';
import { restJson, type RestReply } from '../itsm/rest.js';

export interface JiraOptions {
  /** https://<site>.atlassian.net */
  readonly url: string;
  readonly email: string;
  readonly apiToken: string;
  /** The field naming the protector, e.g. customfield_10050 (a text field or a select list). */
  readonly protectorField: string;
  /** Datetime fields holding the change window (JSM's "Change start date" / "Change completion date"). */
  readonly windowStartField: string;
  readonly windowEndField: string;
  /** Status names that allow implementation (default Awaiting implementation, Implementing). */
  readonly implementStatuses?: readonly string[];
  /** Incident issues keysteward opens. */
  readonly incident?: { readonly project: string; readonly issueType?: string };
  readonly fetchImpl?: typeof fetch;
  readonly timeoutMs?: number;
}

const KEY = /^[A-Z][A-Z0-9_]{0,49}-[1-9]\d{0,9}$/;
const LABEL = /^[A-Za-z0-9_-]{1,100}$/;

/** Plain text as an Atlassian Document: one paragraph per line. */
export function adf(text: string): unknown {
  return { type: 'doc', version: 1, content: text.split('\n').map((line) => (line === '' ? { type: 'paragraph', content: [] } : { type: 'paragraph', content: [{ type: 'text', text: line }] })) };
}

function optionValues(value: unknown): string[] {
  const one = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { value?: unknown }).value === 'string' ? (v as { value: string }).value : null);
  const list = Array.isArray(value) ? value.map(one) : [one(value)];
  return list.filter((v): v is string => v !== null && v.trim() !== '').map((v) => v.trim());
}

function approvalOf(values: unknown): ApprovalStatus {
  if (!Array.isArray(values) || values.length === 0) return 'not-requested';
  const decisions = values.map((v) => (v as { finalDecision?: unknown }).finalDecision);
  if (decisions.includes('declined')) return 'rejected';
  return decisions.every((d) => d === 'approved') ? 'approved' : 'pending';
}

export function createJiraTickets(o: JiraOptions): TicketSystem {
  const base = o.url.replace(/\/+$/, '');
  const authorization = `Basic ${Buffer.from(`${o.email}:${o.apiToken}`, 'utf8').toString('base64')}`;
  const implementable = new Set((o.implementStatuses ?? ['Awaiting implementation', 'Implementing']).map((s) => s.toLowerCase()));
  const restOpts = { ...(o.fetchImpl ? { fetchImpl: o.fetchImpl } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) };
  const call = (method: 'GET' | 'POST', path: string, body?: unknown): Promise<RestReply> =>
    restJson('jira', { method, url: `${base}${path}`, headers: { authorization }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }, restOpts);
  const keyOf = (ref: { system: string; key?: string }): string => {
    if (ref.system !== 'jira' || ref.key === undefined || !KEY.test(ref.key)) throw new ItsmRefusedError('jira', 400, 'not a Jira issue key');
    return ref.key;
  };
  const incident = o.incident;

  return {
    system: 'jira',
    async readChange(ref) {
      if (ref.system !== 'jira' || !KEY.test(ref.key)) return null;
      const fields = ['status', o.protectorField, o.windowStartField, o.windowEndField].join(',');
      const issue = await call('GET', `/rest/api/3/issue/${ref.key}?fields=${encodeURIComponent(fields)}`);
      if (issue.status === 404) return null;
      const json = issue.json as { key?: string; fields?: Record<string, unknown> } | null;
      const f = json?.fields ?? {};
      const status = f['status'] as { name?: string; statusCategory?: { key?: string } } | undefined;
      const approvals = await call('GET', `/rest/servicedeskapi/request/${ref.key}/approval`);
      // Not a service-desk request: it has no approvals, so nothing ever approves it.
      const approval = approvals.status === 404 ? 'not-requested' : approvalOf((approvals.json as { values?: unknown } | null)?.values);
      const time = (v: unknown): number | null => (typeof v === 'string' ? parseInstant(v) : null);
      const name = status?.name ?? 'unknown';
      const facts: TicketFacts = {
        ref: { system: 'jira', key: json?.key ?? ref.key },
        approval,
        implementable: implementable.has(name.toLowerCase()),
        closed: status?.statusCategory?.key === 'done',
        stateLabel: name,
        windowStart: time(f[o.windowStartField]),
        windowEnd: time(f[o.windowEndField]),
        protectors: optionValues(f[o.protectorField]),
      };
      return facts;
    },
    async addNote(ref, text) {
      const reply = await call('POST', `/rest/api/3/issue/${keyOf(ref)}/comment`, { body: adf(text) });
      if (reply.status !== 201) throw new ItsmRefusedError('jira', reply.status, `jira POST comment answered ${reply.status}`);
    },
    async findIncident(correlationId) {
      if (!incident) throw new Error('no Jira incident project configured');
      if (!LABEL.test(correlationId)) throw new Error('correlation ids are [A-Za-z0-9_-]{1,100}');
      // Always name the fields: the search/jql endpoint returns bare ids otherwise.
      const reply = await call('POST', '/rest/api/3/search/jql', { jql: `project = ${incident.project} AND labels = "keysteward-${correlationId}"`, fields: ['status'], maxResults: 1 });
      const first = ((reply.json as { issues?: Array<{ key?: unknown }> } | null)?.issues ?? [])[0];
      return typeof first?.key === 'string' ? { system: 'jira', key: first.key } : null;
    },
    async openIncident(input: IncidentTicketInput) {
      if (!incident) throw new Error('no Jira incident project configured');
      const reply = await call('POST', '/rest/api/3/issue', {
        fields: { project: { key: incident.project }, issuetype: { name: incident.issueType ?? 'Incident' }, summary: input.summary.slice(0, 250), description: adf(input.description), labels: ['keysteward', `keysteward-${input.correlationId}`] },
      });
      const key = (reply.json as { key?: unknown } | null)?.key;
      if (reply.status !== 201 || typeof key !== 'string') throw new Error(`jira POST issue answered ${reply.status}`);
      return { system: 'jira', key };
    },
    async resolveIncident(ref, note) {
      const key = keyOf(ref);
      const issue = await call('GET', `/rest/api/3/issue/${key}?fields=status`);
      const category = ((issue.json as { fields?: { status?: { statusCategory?: { key?: string } } } } | null)?.fields?.status?.statusCategory?.key) ?? '';
      if (category === 'done') return;
      const list = (await call('GET', `/rest/api/3/issue/${key}/transitions`)).json as { transitions?: Array<{ id?: string; name?: string; to?: { name?: string; statusCategory?: { key?: string } } }> } | null;
      const done = (list?.transitions ?? []).filter((t) => t.to?.statusCategory?.key === 'done' && typeof t.id === 'string');
      const pick = done.find((t) => /^(resolved|resolve|done)$/i.test(t.to?.name ?? t.name ?? '')) ?? done[0];
      if (!pick?.id) throw new ItsmRefusedError('jira', 409, `jira ${key} has no transition to a done status`);
      await call('POST', `/rest/api/3/issue/${key}/comment`, { body: adf(note) });
      const moved = await call('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: pick.id } });
      if (moved.status !== 204) throw new ItsmRefusedError('jira', moved.status, `jira transition of ${key} answered ${moved.status}`);
    },
  };
}
