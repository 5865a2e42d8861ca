// The REST API subset: platform v3 (myself, issues, comments, transitions, enhanced JQL search) and the JSM approvals
// of servicedeskapi. Called after authentication, rate limiting and the outage switch (server.ts); handlers either
// return a reply or throw a JiraError, and change state only through JiraStore.
import { badMaxResults, badPageToken, bodyNotObject, commentNotFound, invalidJson, issueNotFound, methodNotAllowed, noResource, requestNotFound, approvalNotFound, unsupportedMediaType } from './errors.js';
import { compileJql } from './jql.js';
import { ALL_FIELDS, approvalJson, approvalsPage, commentJson, issueJson, myselfJson, NO_FIELDS, parseSelection, transitionsJson, type FieldSelection } from './render.js';
import { APPROVER, type IssueRecord, type JiraStore, type UserRecord } from './store.js';

export interface RestRequest {
  readonly method: string;
  readonly url: URL;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

export interface RestReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RestContext {
  readonly store: JiraStore;
  /** The site's base URL, for `self` links. */
  readonly base: string;
}

type Handler = (ctx: RestContext, req: RestRequest, user: UserRecord, params: readonly string[]) => RestReply;

interface Route {
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler>>;
}

/** The JSON object of a POST / PUT body; Jira refuses other media types with 415 [observed]. */
function jsonBody(req: RestRequest): Record<string, unknown> {
  if (!/^application\/json\b/i.test(req.contentType ?? '')) throw unsupportedMediaType();
  if (req.body.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw invalidJson();
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bodyNotObject();
  return v as Record<string, unknown>;
}

function issueOf(ctx: RestContext, idOrKey: string | undefined): IssueRecord {
  const issue = idOrKey === undefined ? undefined : ctx.store.findIssue(idOrKey);
  if (!issue) throw issueNotFound();
  return issue;
}

/** `fields` given as a comma list (possibly repeated) or a JSON array. */
const selectionOf = (items: readonly string[]): FieldSelection => parseSelection(items.flatMap((s) => s.split(',')));

function intParam(raw: string | null | undefined, fallback: number, min: number): number {
  if (raw === null || raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= min ? n : fallback;
}

// ---- search ------------------------------------------------------------------------------------------------------

interface SearchInput {
  readonly jql: string;
  readonly fields: readonly string[] | undefined;
  readonly maxResults: unknown;
  readonly nextPageToken: unknown;
}

/** Opaque to callers; it binds the offset to the query so a token is not replayed against another one. */
const pageToken = (jql: string, offset: number): string => Buffer.from(JSON.stringify({ q: jql, o: offset }), 'utf8').toString('base64url');

function tokenOffset(token: unknown, jql: string): number {
  if (token === undefined || token === null || token === '') return 0;
  if (typeof token !== 'string') throw badPageToken();
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { q?: unknown; o?: unknown };
    if (t.q === jql && typeof t.o === 'number' && Number.isInteger(t.o) && t.o >= 0) return t.o;
  } catch {
    // fall through
  }
  throw badPageToken();
}

function search(ctx: RestContext, input: SearchInput): RestReply {
  const sel = input.fields === undefined ? NO_FIELDS : selectionOf(input.fields);
  const onlyIds = !sel.all && [...sel.include].every((f) => f === 'id' || f === 'key');
  // [doc] up to 5000 per page when only ids / keys are asked for; [inferred] 100 with fields.
  const cap = onlyIds ? 5000 : 100;
  let max = 50;
  if (input.maxResults !== undefined && input.maxResults !== null && input.maxResults !== '') {
    const n = Number(input.maxResults);
    if (!Number.isInteger(n) || n < 1) throw badMaxResults();
    max = Math.min(n, cap);
  }
  const offset = tokenOffset(input.nextPageToken, input.jql);
  const found = compileJql(ctx.store, input.jql).run(ctx.store.all());
  const page = found.slice(offset, offset + max);
  const isLast = offset + page.length >= found.length;
  // [doc] the enhanced search returns only issue ids unless fields are asked for.
  const issues = page.map((i) => (input.fields === undefined ? { id: i.id } : issueJson(ctx.base, ctx.store, i, sel)));
  return { status: 200, body: { issues, isLast, ...(isLast ? {} : { nextPageToken: pageToken(input.jql, offset + page.length) }) } };
}

const searchGet: Handler = (ctx, req) => {
  const q = req.url.searchParams;
  const fields = q.getAll('fields');
  return search(ctx, { jql: q.get('jql') ?? '', fields: fields.length > 0 ? fields : undefined, maxResults: q.get('maxResults') ?? undefined, nextPageToken: q.get('nextPageToken') ?? undefined });
};

const searchPost: Handler = (ctx, req) => {
  const b = jsonBody(req);
  const fields = Array.isArray(b['fields']) ? b['fields'].filter((f): f is string => typeof f === 'string') : typeof b['fields'] === 'string' ? [b['fields']] : undefined;
  return search(ctx, { jql: typeof b['jql'] === 'string' ? b['jql'] : '', fields, maxResults: b['maxResults'], nextPageToken: b['nextPageToken'] });
};

// ---- routes ------------------------------------------------------------------------------------------------------

const ROUTES: readonly Route[] = [
  { pattern: /^\/rest\/api\/3\/myself$/, methods: { GET: (ctx, _req, user) => ({ status: 200, body: myselfJson(ctx.base, user) }) } },
  {
    pattern: /^\/rest\/api\/3\/issue$/,
    methods: {
      POST: (ctx, req) => {
        const issue = ctx.store.createFromRest(jsonBody(req));
        return { status: 201, body: { id: issue.id, key: issue.key, self: `${ctx.base}/rest/api/3/issue/${issue.id}` } };
      },
    },
  },
  {
    pattern: /^\/rest\/api\/3\/issue\/([^/]+)$/,
    methods: {
      GET: (ctx, req, _u, [key]) => {
        const fields = req.url.searchParams.getAll('fields');
        return { status: 200, body: issueJson(ctx.base, ctx.store, issueOf(ctx, key), fields.length > 0 ? selectionOf(fields) : ALL_FIELDS) };
      },
      PUT: (ctx, req, _u, [key]) => {
        const issue = issueOf(ctx, key);
        ctx.store.editFromRest(issue, jsonBody(req));
        return { status: 204 };
      },
    },
  },
  {
    pattern: /^\/rest\/api\/3\/issue\/([^/]+)\/comment$/,
    methods: {
      GET: (ctx, req, _u, [key]) => {
        const issue = issueOf(ctx, key);
        const startAt = intParam(req.url.searchParams.get('startAt'), 0, 0);
        const maxResults = Math.min(intParam(req.url.searchParams.get('maxResults'), 5000, 1), 5000);
        const comments = issue.comments.slice(startAt, startAt + maxResults).map((c) => commentJson(ctx.base, issue, c));
        return { status: 200, body: { startAt, maxResults, total: issue.comments.length, comments } };
      },
      POST: (ctx, req, user, [key]) => {
        const issue = issueOf(ctx, key);
        const comment = ctx.store.addComment(issue, jsonBody(req), user);
        return { status: 201, body: commentJson(ctx.base, issue, comment) };
      },
    },
  },
  {
    pattern: /^\/rest\/api\/3\/issue\/([^/]+)\/comment\/([^/]+)$/,
    methods: {
      GET: (ctx, _req, _u, [key, id]) => {
        const issue = issueOf(ctx, key);
        const comment = issue.comments.find((c) => c.id === id);
        if (!comment) throw commentNotFound(id ?? '');
        return { status: 200, body: commentJson(ctx.base, issue, comment) };
      },
    },
  },
  {
    pattern: /^\/rest\/api\/3\/issue\/([^/]+)\/transitions$/,
    methods: {
      GET: (ctx, req, _u, [key]) => ({ status: 200, body: transitionsJson(ctx.base, issueOf(ctx, key), req.url.searchParams.get('transitionId') ?? undefined) }),
      POST: (ctx, req, _u, [key]) => {
        const issue = issueOf(ctx, key);
        ctx.store.transition(issue, jsonBody(req));
        return { status: 204 };
      },
    },
  },
  { pattern: /^\/rest\/api\/3\/search\/jql$/, methods: { GET: searchGet, POST: searchPost } },
  {
    pattern: /^\/rest\/servicedeskapi\/request\/([^/]+)\/approval$/,
    methods: {
      GET: (ctx, req, _u, [key]) => {
        const issue = serviceDeskIssue(ctx, key);
        const start = intParam(req.url.searchParams.get('start'), 0, 0);
        const limit = Math.min(intParam(req.url.searchParams.get('limit'), 50, 1), 100);
        return { status: 200, body: approvalsPage(ctx.base, issue, APPROVER, start, limit) };
      },
    },
  },
  {
    pattern: /^\/rest\/servicedeskapi\/request\/([^/]+)\/approval\/([^/]+)$/,
    methods: {
      GET: (ctx, _req, _u, [key, id]) => {
        const issue = serviceDeskIssue(ctx, key);
        const approval = issue.approvals.find((a) => a.id === id);
        if (!approval) throw approvalNotFound();
        return { status: 200, body: approvalJson(ctx.base, issue, approval, APPROVER) };
      },
    },
  },
];

/** JSM requests are the issues of service desk projects; any other issue is "not found" to servicedeskapi. */
function serviceDeskIssue(ctx: RestContext, idOrKey: string | undefined): IssueRecord {
  const issue = idOrKey === undefined ? undefined : ctx.store.findIssue(idOrKey);
  if (!issue || !issue.project.serviceDesk) throw requestNotFound();
  return issue;
}

/** Routes one authenticated REST request: 404 for a path outside the subset, 405 for a method a path does not take. */
export function handleRest(ctx: RestContext, req: RestRequest, user: UserRecord): RestReply {
  const path = req.url.pathname.replace(/\/+$/, '') || '/';
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    const handler = route.methods[req.method];
    if (!handler) throw methodNotAllowed(Object.keys(route.methods));
    let params: string[];
    try {
      params = m.slice(1).map((p) => decodeURIComponent(p));
    } catch {
      throw noResource(req.method, path);
    }
    return handler(ctx, req, user, params);
  }
  throw noResource(req.method, path);
}

