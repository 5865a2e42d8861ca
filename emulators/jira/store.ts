// The site's state: users, projects, field definitions and issues (with their comments and JSM approvals). Both the
// REST routes and the admin / TS API change it only through this class, so the invariants hold for every caller:
// issue ids are numeric strings from 10000 and keys `<PROJECT>-<n>` per project from 1; an issue in a done status
// has a resolution and no other issue has one; only issues of service-desk projects have approvals; `updated`
// moves on every change.
import { createHash, timingSafeEqual } from 'node:crypto';
import { adfText, isAdfDocument } from './adf.js';
import { commentEmpty, commentNotValid, fieldErrors, FIELD_TEXT, transitionMissing, transitionNotValid } from './errors.js';
import { applyLabelOps, parseFieldWrites, type FieldContext, type FieldWrites, type StoredValue } from './fields.js';
import { DEFAULT_PRIORITY, DEFAULT_STATUS, findResolution, findStatus, findTransition, PRIORITIES, RESOLUTIONS, type ResolutionDef, type StatusDef } from './statuses.js';
import type { ApprovalDecision, CreateIssueInput, JiraFieldDef, JiraProject, JiraUser, UpdateIssuePatch } from './types.js';

export interface Account {
  readonly accountId: string;
  readonly displayName: string;
  readonly email: string;
}

export interface UserRecord extends Account {
  readonly apiToken: string;
}

export interface ProjectRecord {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly serviceDesk: boolean;
  readonly issueTypes: readonly string[];
}

export interface ApprovalRecord {
  readonly id: string;
  readonly name: string;
  decision: ApprovalDecision;
  readonly created: number;
  completed: number | null;
}

export interface CommentRecord {
  readonly id: string;
  readonly author: Account;
  readonly body: unknown;
  readonly text: string;
  readonly created: number;
}

export interface IssueRecord {
  readonly id: string;
  readonly key: string;
  readonly project: ProjectRecord;
  readonly issueType: string;
  summary: string;
  status: StatusDef;
  resolution: ResolutionDef | null;
  labels: string[];
  description: unknown;
  priority: { readonly id: string; readonly name: string };
  readonly custom: Map<string, StoredValue>;
  readonly approvals: ApprovalRecord[];
  readonly comments: CommentRecord[];
  readonly created: number;
  updated: number;
}

const DEFAULT_ISSUE_TYPES = ['Change', 'Incident', 'Task'] as const;
const PROJECT_KEY = /^[A-Z][A-Z0-9_]{1,9}$/;
const CUSTOM_FIELD = /^customfield_\d+$/;

/** [inferred] The JSM approver of every emulated approval: a synthetic CAB account, not one of the API users. */
export const APPROVER: Account = { accountId: '712020:5f0c3b7e-9a2d-4e61-b8c4-1d2e3f4a5b6c', displayName: 'Change Advisory Board', email: 'cab@example.invalid' };

const derivedAccountId = (email: string): string => createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 24);

function plainObject(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export class JiraStore {
  readonly users: readonly UserRecord[];
  readonly projects: readonly ProjectRecord[];
  readonly fieldDefs: ReadonlyMap<string, JiraFieldDef>;
  /** Issue type name → id, site-wide (Jira issue types are site objects shared by projects). */
  readonly issueTypeIds = new Map<string, string>();
  private readonly issuesById = new Map<string, IssueRecord>();
  private readonly keyCounters = new Map<string, number>();
  private readonly options = new Map<string, { id: string; value: string }[]>();
  private nextIssueId = 10000;
  private nextCommentId = 10000;
  private nextApprovalId = 1;
  private nextOptionId = 10100;

  constructor(
    users: readonly JiraUser[],
    projects: readonly JiraProject[],
    fields: readonly JiraFieldDef[],
    private readonly clock: () => number,
  ) {
    if (users.length === 0) throw new Error('the Jira emulator needs at least one user');
    const emails = new Set<string>();
    this.users = users.map((u) => {
      const email = u.email.trim().toLowerCase();
      if (!email.includes('@') || emails.has(email)) throw new Error(`user email ${u.email} is invalid or repeated`);
      if (u.apiToken === '') throw new Error(`user ${u.email} needs an apiToken`);
      emails.add(email);
      return { email, apiToken: u.apiToken, accountId: u.accountId ?? derivedAccountId(email), displayName: u.displayName ?? email.split('@')[0] ?? email };
    });
    const keys = new Set<string>();
    this.projects = projects.map((p, i) => {
      if (!PROJECT_KEY.test(p.key) || keys.has(p.key)) throw new Error(`project key ${p.key} is invalid or repeated (2-10 of A-Z0-9_, starting with a letter)`);
      keys.add(p.key);
      const issueTypes = [...(p.issueTypes ?? DEFAULT_ISSUE_TYPES)];
      if (issueTypes.length === 0) throw new Error(`project ${p.key} needs an issue type`);
      for (const t of issueTypes) if (!this.issueTypeIds.has(t.toLowerCase())) this.issueTypeIds.set(t.toLowerCase(), String(10001 + this.issueTypeIds.size));
      return { id: String(10000 + i), key: p.key, name: p.name ?? p.key, serviceDesk: p.serviceDesk ?? false, issueTypes };
    });
    const defs = new Map<string, JiraFieldDef>();
    for (const f of fields) {
      if (!CUSTOM_FIELD.test(f.id) || defs.has(f.id)) throw new Error(`field id ${f.id} is invalid or repeated (customfield_<n>)`);
      defs.set(f.id, f);
    }
    this.fieldDefs = defs;
  }

  // ---- look-ups ---------------------------------------------------------------------------------------------

  /** The user whose email (case-insensitive) and API token both match; null otherwise. */
  authenticate(email: string, token: string): UserRecord | null {
    const u = this.users.find((x) => x.email === email.trim().toLowerCase());
    // Digests have one length, so the comparison takes the same time whatever the token given.
    const digest = (t: string): Buffer => createHash('sha256').update(t, 'utf8').digest();
    return u && timingSafeEqual(digest(u.apiToken), digest(token)) ? u : null;
  }

  findIssue(idOrKey: string): IssueRecord | undefined {
    if (/^\d+$/.test(idOrKey)) return this.issuesById.get(idOrKey);
    const key = idOrKey.toUpperCase();
    for (const i of this.issuesById.values()) if (i.key === key) return i;
    return undefined;
  }

  /** Every issue, oldest first. */
  all(): IssueRecord[] {
    return [...this.issuesById.values()];
  }

  findProject(ref: { readonly key?: unknown; readonly id?: unknown }): ProjectRecord | undefined {
    if (typeof ref.id === 'string') return this.projects.find((p) => p.id === ref.id);
    if (typeof ref.key === 'string') return this.projects.find((p) => p.key === (ref.key as string).toUpperCase());
    return undefined;
  }

  issueTypeOf(project: ProjectRecord, ref: { readonly name?: unknown; readonly id?: unknown }): string | undefined {
    return project.issueTypes.find(
      (t) => (typeof ref.name === 'string' && t.toLowerCase() === ref.name.toLowerCase()) || (typeof ref.id === 'string' && this.issueTypeIds.get(t.toLowerCase()) === ref.id),
    );
  }

  issueTypeId(name: string): string {
    return this.issueTypeIds.get(name.toLowerCase()) ?? '10000';
  }

  private fieldContext(lenient: boolean): FieldContext {
    return {
      defs: this.fieldDefs,
      lenient,
      optionId: (field, value) => {
        const list = this.options.get(field) ?? [];
        let o = list.find((x) => x.value === value);
        if (!o) {
          o = { id: String(this.nextOptionId++), value };
          list.push(o);
          this.options.set(field, list);
        }
        return o.id;
      },
      optionValue: (field, id) => this.options.get(field)?.find((x) => x.id === id)?.value,
    };
  }

  // ---- writes -----------------------------------------------------------------------------------------------

  private insert(project: ProjectRecord, issueType: string, writes: FieldWrites, status: StatusDef): IssueRecord {
    const n = (this.keyCounters.get(project.key) ?? 0) + 1;
    this.keyCounters.set(project.key, n);
    const now = this.clock();
    const issue: IssueRecord = {
      id: String(this.nextIssueId++),
      key: `${project.key}-${n}`,
      project,
      issueType,
      summary: writes.summary ?? '',
      status,
      resolution: null,
      labels: writes.labels ?? [],
      description: writes.description ?? null,
      priority: writes.priority ?? PRIORITIES.find((p) => p.name === DEFAULT_PRIORITY) ?? { id: '3', name: DEFAULT_PRIORITY },
      custom: new Map(),
      approvals: [],
      comments: [],
      created: now,
      updated: now,
    };
    this.applyCustom(issue, writes.custom);
    this.setStatus(issue, status, null);
    this.issuesById.set(issue.id, issue);
    return issue;
  }

  private applyCustom(issue: IssueRecord, custom: ReadonlyMap<string, StoredValue | null>): void {
    for (const [id, v] of custom) {
      if (v === null) issue.custom.delete(id);
      else issue.custom.set(id, v);
    }
  }

  /** Moves to `status`: a done status gets `resolution` (default Done), any other clears it. */
  private setStatus(issue: IssueRecord, status: StatusDef, resolution: ResolutionDef | null): void {
    issue.status = status;
    if (status.category.key === 'done') issue.resolution = resolution ?? issue.resolution ?? RESOLUTIONS[0] ?? null;
    else issue.resolution = null;
  }

  /** POST /rest/api/3/issue. Throws JiraError 400 with every field error. */
  createFromRest(body: unknown): IssueRecord {
    const fields = plainObject(plainObject(body)?.['fields']) ?? {};
    const errors: Record<string, string> = {};
    const project = this.findProject(plainObject(fields['project']) ?? {});
    if (!project) errors['project'] = FIELD_TEXT.projectRequired;
    const typeRef = plainObject(fields['issuetype']);
    const issueType = project && typeRef ? this.issueTypeOf(project, typeRef) : undefined;
    if ((project || !typeRef) && !issueType) errors['issuetype'] = FIELD_TEXT.issueTypeRequired;
    const parsed = parseFieldWrites(fields, this.fieldContext(false), new Set(['project', 'issuetype']));
    Object.assign(errors, parsed.errors);
    if (parsed.writes.summary === undefined && !errors['summary']) errors['summary'] = FIELD_TEXT.summaryRequired;
    if (Object.keys(errors).length > 0 || !project || !issueType) throw fieldErrors(errors);
    return this.insert(project, issueType, parsed.writes, findStatus(DEFAULT_STATUS) as StatusDef);
  }

  /** PUT /rest/api/3/issue/{key}: `fields` (set) and `update.labels` (operations). Throws JiraError 400. */
  editFromRest(issue: IssueRecord, body: unknown): void {
    const b = plainObject(body) ?? {};
    const parsed = parseFieldWrites(plainObject(b['fields']) ?? {}, this.fieldContext(false));
    const errors = { ...parsed.errors };
    let labels = parsed.writes.labels;
    const update = plainObject(b['update']) ?? {};
    for (const [name, ops] of Object.entries(update)) {
      if (name !== 'labels') {
        errors[name] = FIELD_TEXT.cannotBeSet(name);
        continue;
      }
      const r = applyLabelOps(labels ?? issue.labels, ops);
      if ('error' in r) errors['labels'] = r.error;
      else labels = r.ok;
    }
    if (Object.keys(errors).length > 0) throw fieldErrors(errors);
    this.applyWrites(issue, { ...parsed.writes, ...(labels ? { labels } : {}) });
  }

  private applyWrites(issue: IssueRecord, w: FieldWrites): void {
    if (w.summary !== undefined) issue.summary = w.summary;
    if (w.description !== undefined) issue.description = w.description;
    if (w.labels !== undefined) issue.labels = w.labels;
    if (w.priority !== undefined) issue.priority = w.priority;
    this.applyCustom(issue, w.custom);
    issue.updated = this.clock();
  }

  /** The TS / admin create. Throws Error (not JiraError) naming what is wrong. */
  createFromAdmin(input: CreateIssueInput): IssueRecord {
    const project = this.findProject({ key: input.project });
    if (!project) throw new Error(`unknown project ${input.project}`);
    const issueType = input.issueType === undefined ? project.issueTypes[0] : this.issueTypeOf(project, { name: input.issueType });
    if (issueType === undefined) throw new Error(`project ${project.key} has no issue type ${String(input.issueType)} (it has ${project.issueTypes.join(', ')})`);
    const status = findStatus(input.status ?? DEFAULT_STATUS);
    if (!status) throw new Error(`unknown status ${String(input.status)}`);
    if (input.approvals?.length && !project.serviceDesk) throw new Error(`project ${project.key} is not a service desk project: its issues have no approvals`);
    const parsed = parseFieldWrites({ summary: input.summary, ...(input.labels ? { labels: input.labels } : {}), ...(input.fields ?? {}) }, this.fieldContext(true));
    const bad = Object.entries(parsed.errors);
    if (bad.length > 0) throw new Error(bad.map(([f, t]) => `${f}: ${t}`).join('; '));
    const issue = this.insert(project, issueType, parsed.writes, status);
    for (const a of input.approvals ?? []) {
      const decision = a.decision ?? 'pending';
      if (decision !== 'pending' && decision !== 'approved' && decision !== 'declined') throw new Error(`approval decision must be pending, approved or declined`);
      issue.approvals.push({ id: String(this.nextApprovalId++), name: a.name ?? 'Change approval', decision, created: issue.created, completed: decision === 'pending' ? null : issue.created });
    }
    return issue;
  }

  /** The TS / admin update: a status (any, no transition needed), the summary, custom fields. Throws Error. */
  updateFromAdmin(key: string, patch: UpdateIssuePatch): IssueRecord {
    const issue = this.mustFind(key);
    const status = patch.status === undefined ? undefined : findStatus(patch.status);
    if (patch.status !== undefined && !status) throw new Error(`unknown status ${patch.status}`);
    const parsed = parseFieldWrites({ ...(patch.summary === undefined ? {} : { summary: patch.summary }), ...(patch.fields ?? {}) }, this.fieldContext(true));
    const bad = Object.entries(parsed.errors);
    if (bad.length > 0) throw new Error(bad.map(([f, t]) => `${f}: ${t}`).join('; '));
    this.applyWrites(issue, parsed.writes);
    if (status) this.setStatus(issue, status, null);
    return issue;
  }

  mustFind(key: string): IssueRecord {
    const issue = this.findIssue(key);
    if (!issue) throw new Error(`unknown issue ${key}`);
    return issue;
  }

  /** POST …/transitions: `{"transition":{"id"},"fields"?:{"resolution":{"name"},…}}`. Throws JiraError 400. */
  transition(issue: IssueRecord, body: unknown): void {
    const b = plainObject(body) ?? {};
    const ref = plainObject(b['transition']);
    const id = ref && (typeof ref['id'] === 'string' || typeof ref['id'] === 'number') ? String(ref['id']) : undefined;
    if (id === undefined) throw transitionMissing();
    const target = findTransition(id);
    // One transition leads to every status but the current one.
    if (!target || target.id === issue.status.id) throw transitionNotValid(id);
    const fields = { ...(plainObject(b['fields']) ?? {}) };
    const resolutionRef = fields['resolution'];
    delete fields['resolution'];
    const errors: Record<string, string> = {};
    let resolution: ResolutionDef | null = null;
    if (resolutionRef !== undefined) {
      const r = plainObject(resolutionRef);
      const found = r ? findResolution(r) : undefined;
      if (target.category.key !== 'done') errors['resolution'] = FIELD_TEXT.cannotBeSet('resolution');
      else if (!found) errors['resolution'] = FIELD_TEXT.badResolution(typeof r?.['name'] === 'string' ? r['name'] : String(r?.['id'] ?? ''));
      else resolution = found;
    }
    const parsed = parseFieldWrites(fields, this.fieldContext(false));
    Object.assign(errors, parsed.errors);
    if (Object.keys(errors).length > 0) throw fieldErrors(errors);
    this.applyWrites(issue, parsed.writes);
    // Entering a done status from another done status keeps the old resolution unless one is given.
    this.setStatus(issue, target, resolution);
  }

  /** POST …/comment `{"body":ADF}`. Throws JiraError 400. */
  addComment(issue: IssueRecord, body: unknown, author: Account): CommentRecord {
    const adf = plainObject(body)?.['body'];
    if (!isAdfDocument(adf)) throw commentNotValid();
    const text = adfText(adf);
    if (text.trim() === '') throw commentEmpty();
    const now = this.clock();
    const comment: CommentRecord = { id: String(this.nextCommentId++), author, body: adf, text, created: now };
    issue.comments.push(comment);
    issue.updated = now;
    return comment;
  }

  /** A JSM approver's decision on approval `index` (default the first pending one). Throws Error. */
  decide(key: string, decision: 'approved' | 'declined', index?: number): IssueRecord {
    const issue = this.mustFind(key);
    if (decision !== 'approved' && decision !== 'declined') throw new Error('decision must be approved or declined');
    if (issue.approvals.length === 0) throw new Error(`issue ${issue.key} has no approvals`);
    const i = index ?? issue.approvals.findIndex((a) => a.decision === 'pending');
    const approval = Number.isInteger(i) ? issue.approvals[i] : undefined;
    if (!approval) throw new Error(index === undefined ? `issue ${issue.key} has no pending approval` : `issue ${issue.key} has no approval ${index}`);
    if (approval.decision !== 'pending') throw new Error(`approval ${i} of ${issue.key} is already ${approval.decision}`);
    const now = this.clock();
    approval.decision = decision;
    approval.completed = now;
    issue.updated = now;
    return issue;
  }

  /** The first user: the account the emulated site's webhooks name as the actor. */
  get firstUser(): UserRecord {
    return this.users[0] as UserRecord;
  }
}
