// JSON representations, as Jira Cloud renders them: issues (GET issue, search, webhook payloads), comments, users,
// transitions and JSM approvals; and the EmulatedIssue snapshots the TS API hands out. Pure functions of the state
// and the site's base URL (every `self` link is absolute, as on a real site).
import type { StoredValue } from './fields.js';
import type { Account, ApprovalRecord, CommentRecord, IssueRecord, JiraStore, UserRecord } from './store.js';
import { jiraTime, STATUSES, type StatusDef } from './statuses.js';
import type { EmulatedComment, EmulatedIssue, JiraFieldDef } from './types.js';

/** The system fields every issue has, in the order Jira lists them. */
const SYSTEM_FIELDS = ['summary', 'description', 'status', 'issuetype', 'project', 'labels', 'priority', 'created', 'updated', 'resolution'] as const;

/** Which fields a `fields` parameter asks for: `*all` / `*navigable` = all, `-name` excludes, names include. */
export interface FieldSelection {
  readonly all: boolean;
  readonly include: ReadonlySet<string>;
  readonly exclude: ReadonlySet<string>;
}

export const ALL_FIELDS: FieldSelection = { all: true, include: new Set(), exclude: new Set() };
export const NO_FIELDS: FieldSelection = { all: false, include: new Set(), exclude: new Set() };

export function parseSelection(items: readonly string[]): FieldSelection {
  const include = new Set<string>();
  const exclude = new Set<string>();
  let all = false;
  for (const raw of items) {
    const f = raw.trim();
    if (f === '') continue;
    if (f === '*all' || f === '*navigable') all = true;
    else if (f.startsWith('-')) exclude.add(f.slice(1));
    else include.add(f);
  }
  // Only exclusions: everything else.
  if (!all && include.size === 0 && exclude.size > 0) all = true;
  return { all, include, exclude };
}

const wanted = (sel: FieldSelection, name: string): boolean => !sel.exclude.has(name) && (sel.all || sel.include.has(name));

export function statusJson(base: string, s: StatusDef): unknown {
  return {
    self: `${base}/rest/api/3/status/${s.id}`,
    description: '',
    iconUrl: `${base}/images/icons/statuses/generic.png`,
    name: s.name,
    id: s.id,
    statusCategory: { self: `${base}/rest/api/3/statuscategory/${s.category.id}`, ...s.category },
  };
}

export function userJson(base: string, a: Account, withEmail = false): Record<string, unknown> {
  return {
    self: `${base}/rest/api/3/user?accountId=${encodeURIComponent(a.accountId)}`,
    accountId: a.accountId,
    ...(withEmail ? { emailAddress: a.email } : {}),
    displayName: a.displayName,
    active: true,
    timeZone: 'UTC',
    accountType: 'atlassian',
  };
}

/** GET /rest/api/3/myself. */
export const myselfJson = (base: string, u: UserRecord): unknown => ({ ...userJson(base, u, true), locale: 'en_US' });

function customJson(base: string, def: JiraFieldDef, v: StoredValue | undefined): unknown {
  if (v === undefined) return null;
  if (typeof v === 'string') return v;
  if ('optionId' in v) return { self: `${base}/rest/api/3/customFieldOption/${v.optionId}`, value: v.value, id: v.optionId };
  return def.type === 'datetime' ? jiraTime(v.at) : null;
}

function systemField(base: string, store: JiraStore, issue: IssueRecord, name: (typeof SYSTEM_FIELDS)[number]): unknown {
  switch (name) {
    case 'summary':
      return issue.summary;
    case 'description':
      return issue.description;
    case 'status':
      return statusJson(base, issue.status);
    case 'issuetype': {
      const id = store.issueTypeId(issue.issueType);
      return { self: `${base}/rest/api/3/issuetype/${id}`, id, description: '', name: issue.issueType, subtask: false, hierarchyLevel: 0 };
    }
    case 'project':
      return {
        self: `${base}/rest/api/3/project/${issue.project.id}`,
        id: issue.project.id,
        key: issue.project.key,
        name: issue.project.name,
        projectTypeKey: issue.project.serviceDesk ? 'service_desk' : 'software',
        simplified: false,
      };
    case 'labels':
      return [...issue.labels];
    case 'priority':
      return { self: `${base}/rest/api/3/priority/${issue.priority.id}`, name: issue.priority.name, id: issue.priority.id };
    case 'created':
      return jiraTime(issue.created);
    case 'updated':
      return jiraTime(issue.updated);
    case 'resolution':
      return issue.resolution && { self: `${base}/rest/api/3/resolution/${issue.resolution.id}`, ...issue.resolution };
  }
}

/** The `fields` object of an issue: the selected system fields, then every defined custom field (null when unset). */
export function fieldsJson(base: string, store: JiraStore, issue: IssueRecord, sel: FieldSelection = ALL_FIELDS): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of SYSTEM_FIELDS) if (wanted(sel, name)) out[name] = systemField(base, store, issue, name);
  for (const def of store.fieldDefs.values()) if (wanted(sel, def.id)) out[def.id] = customJson(base, def, issue.custom.get(def.id));
  return out;
}

export const issueSelf = (base: string, issue: IssueRecord): string => `${base}/rest/api/3/issue/${issue.id}`;

/** GET /rest/api/3/issue/{key}: always id, key and self, then the selected fields. */
export function issueJson(base: string, store: JiraStore, issue: IssueRecord, sel: FieldSelection = ALL_FIELDS): unknown {
  return {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id: issue.id,
    self: issueSelf(base, issue),
    key: issue.key,
    fields: fieldsJson(base, store, issue, sel),
  };
}

export function commentJson(base: string, issue: IssueRecord, c: CommentRecord): unknown {
  const author = userJson(base, c.author);
  const created = jiraTime(c.created);
  return {
    self: `${base}/rest/api/3/issue/${issue.id}/comment/${c.id}`,
    id: c.id,
    author,
    body: c.body,
    updateAuthor: author,
    created,
    updated: created,
    ...(issue.project.serviceDesk ? { jsdPublic: true } : {}),
  };
}

/** GET …/transitions: one transition to every status but the current one. */
export function transitionsJson(base: string, issue: IssueRecord, only?: string): unknown {
  return {
    expand: 'transitions',
    transitions: STATUSES.filter((s) => s.id !== issue.status.id && (only === undefined || s.transitionId === only)).map((s) => ({
      id: s.transitionId,
      name: s.name,
      to: statusJson(base, s),
      hasScreen: false,
      isGlobal: true,
      isInitial: false,
      isAvailable: true,
      isConditional: false,
      isLooped: false,
    })),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** [doc] JSM DateDTO; `friendly` is [inferred] in the site's default format, UTC. */
export function dateDto(ms: number): unknown {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const friendly = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()] ?? ''}/${pad(d.getUTCFullYear() % 100)} ${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())} ${h < 12 ? 'AM' : 'PM'}`;
  return { iso8601: d.toISOString().replace(/\.\d{3}Z$/, '+0000'), jira: jiraTime(ms), friendly, epochMillis: ms };
}

export function approvalJson(base: string, issue: IssueRecord, a: ApprovalRecord, approver: Account): unknown {
  return {
    id: a.id,
    name: a.name,
    finalDecision: a.decision,
    canAnswerApprovalDecision: false,
    approvers: [
      {
        approver: { accountId: approver.accountId, displayName: approver.displayName, active: true, timeZone: 'UTC', _links: { self: `${base}/rest/api/2/user?accountId=${encodeURIComponent(approver.accountId)}` } },
        approverDecision: a.decision,
      },
    ],
    createdDate: dateDto(a.created),
    ...(a.completed === null ? {} : { completedDate: dateDto(a.completed) }),
    _links: { self: `${base}/rest/servicedeskapi/request/${issue.id}/approval/${a.id}` },
  };
}

/** GET /rest/servicedeskapi/request/{key}/approval: a JSM PagedDTO. */
export function approvalsPage(base: string, issue: IssueRecord, approver: Account, start: number, limit: number): unknown {
  const values = issue.approvals.slice(start, start + limit).map((a) => approvalJson(base, issue, a, approver));
  const self = `${base}/rest/servicedeskapi/request/${issue.id}/approval`;
  const isLastPage = start + values.length >= issue.approvals.length;
  return {
    _expands: [],
    size: values.length,
    start,
    limit,
    isLastPage,
    _links: {
      base,
      context: '',
      self,
      ...(isLastPage ? {} : { next: `${self}?start=${start + limit}&limit=${limit}` }),
      ...(start > 0 ? { prev: `${self}?start=${Math.max(0, start - limit)}&limit=${limit}` } : {}),
    },
    values,
  };
}

export function commentSnapshot(c: CommentRecord): EmulatedComment {
  return { id: c.id, author: c.author.accountId, text: c.text, body: structuredClone(c.body), created: jiraTime(c.created) };
}

export function issueSnapshot(base: string, store: JiraStore, issue: IssueRecord): EmulatedIssue {
  const fields: Record<string, unknown> = {};
  for (const def of store.fieldDefs.values()) {
    const v = issue.custom.get(def.id);
    if (v !== undefined) fields[def.id] = customJson(base, def, v);
  }
  return {
    id: issue.id,
    key: issue.key,
    project: issue.project.key,
    issueType: issue.issueType,
    summary: issue.summary,
    status: issue.status.name,
    labels: [...issue.labels],
    fields,
    approvals: issue.approvals.map((a) => ({ id: a.id, name: a.name, decision: a.decision })),
    comments: issue.comments.map(commentSnapshot),
    created: jiraTime(issue.created),
    updated: jiraTime(issue.updated),
  };
}
