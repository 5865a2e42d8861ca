// Log Analytics query emulator: `POST /v1/workspaces/{workspaceId}/query` over HTTPS with a bearer token, as
// @azure/monitor-query-logs 1.0 calls it (azure-formats.md §6.2; the client's `endpoint` must end in `/v1`).
// Tables are functions, read at each query, so a table can be a live view of another emulator's audit log.
// Answers in the service's shape: typed columns, datetime as ISO text, dynamic as JSON text.
import { readBody } from '../../adapters/http/readBody.js';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readLocalToken } from '../../adapters/azure/localCredential.js';
import { AZKV_AUDIT_COLUMNS } from './azkvRows.js';
import { AZURE_ACTIVITY_COLUMNS } from './activityRows.js';
import type { LogColumn, LogRow } from './columns.js';
import { wireValue } from './columns.js';
import { applySteps, KqlSyntaxError, parseQuery } from './kql.js';
import { parseTimespan } from './timespan.js';
import { listenOnLoopback } from '../listen.js';

export interface LogAnalyticsEmulatorOptions {
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly port?: number;
  readonly workspaceId: string;
  readonly tables: Readonly<Record<string, () => readonly LogRow[]>>;
  /** Epoch milliseconds: the `now` of ago() and of duration-only timespans. */
  readonly clock?: () => number;
}

export interface LogAnalyticsEmulator {
  /** `https://localhost:<port>/v1` — the value for LogsQueryClient's `endpoint` option. */
  readonly endpoint: string;
  /** Makes the following queries answer 200 with this `error` beside the tables (the SDK's PartialFailure); null stops it. */
  setPartialError(error: { readonly code: string; readonly message: string } | null): void;
  /** Queries received, newest last (query text and timespan), for tests. */
  requests(): ReadonlyArray<{ readonly query: string; readonly timespan?: string }>;
  close(): Promise<void>;
}

/** Column lists of the tables the emulator knows, so an empty result still names its columns. */
const KNOWN_COLUMNS: Readonly<Record<string, readonly LogColumn[]>> = { AZKVAuditLogs: AZKV_AUDIT_COLUMNS, AzureActivity: AZURE_ACTIVITY_COLUMNS };

const QUERY_PATH = /^\/v1\/workspaces\/([^/]+)\/query$/;
const LA_AUDIENCE = 'https://api.loganalytics.io';
const MAX_BODY = 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': randomUUID(), ...headers });
  res.end(JSON.stringify(body));
}

/** The service's error shape: { error: { message, code, correlationId, innererror? } }. */
function fail(res: ServerResponse, status: number, code: string, message: string, inner?: { code: string; message: string }, headers: Record<string, string> = {}): void {
  send(res, status, { error: { message, code, correlationId: randomUUID(), ...(inner ? { innererror: inner } : {}) } }, headers);
}

function columnsOf(table: string, rows: readonly LogRow[]): LogColumn[] {
  const seen = new Map<string, LogColumn>();
  for (const c of KNOWN_COLUMNS[table] ?? []) seen.set(c.name, c);
  for (const row of rows) for (const [name, cell] of Object.entries(row)) if (!seen.has(name)) seen.set(name, { name, type: cell.type });
  return [...seen.values()];
}

const timeOf = (row: LogRow): number | null => {
  const cell = row['TimeGenerated'];
  if (cell?.type !== 'datetime' || cell.value === null) return null;
  const ms = Date.parse(cell.value);
  return Number.isFinite(ms) ? ms : null;
};

export async function startLogAnalyticsEmulator(options: LogAnalyticsEmulatorOptions): Promise<LogAnalyticsEmulator> {
  const clock = options.clock ?? Date.now;
  let partialError: { code: string; message: string } | null = null;
  const received: Array<{ query: string; timespan?: string }> = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const route = QUERY_PATH.exec(url.pathname);
    if (!route || req.method !== 'POST') {
      fail(res, 404, 'PathNotFoundError', `The requested path does not exist (the emulator serves POST /v1/workspaces/{workspaceId}/query).`);
      return;
    }
    // Bearer token required; a LocalEmulatorCredential token must be for the Log Analytics audience.
    const auth = req.headers['authorization'] ?? '';
    const claims = readLocalToken(auth);
    if (!/^Bearer\s+\S+/.test(auth) || (claims !== null && claims['aud'] !== LA_AUDIENCE)) {
      fail(res, 401, 'AuthorizationRequiredError', 'Valid authentication was not provided', undefined, {
        'www-authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token"',
      });
      return;
    }
    if (decodeURIComponent(route[1] ?? '') !== options.workspaceId) {
      fail(res, 404, 'WorkspaceNotFoundError', `Workspace ${route[1] ?? ''} not found.`);
      return;
    }
    const raw = await readBody(req, MAX_BODY);
    const text = raw === null ? null : raw.toString('utf8');
    let body: { query?: unknown; timespan?: unknown } | null = null;
    try {
      body = text === null ? null : (JSON.parse(text) as { query?: unknown; timespan?: unknown });
    } catch {
      body = null;
    }
    if (!body || typeof body.query !== 'string') {
      fail(res, 400, 'BadArgumentError', 'The request had some invalid properties', { code: 'QueryValidationError', message: 'The body must be JSON with a "query" string.' });
      return;
    }
    const timespan = typeof body.timespan === 'string' ? body.timespan : undefined;
    received.push({ query: body.query, ...(timespan !== undefined ? { timespan } : {}) });

    let parsed;
    try {
      parsed = parseQuery(body.query);
    } catch (err) {
      const message = err instanceof KqlSyntaxError ? err.message : 'Query could not be parsed';
      fail(res, 400, 'BadArgumentError', 'The request had some invalid properties', { code: 'SyntaxError', message });
      return;
    }
    const source = Object.hasOwn(options.tables, parsed.table) ? options.tables[parsed.table] : undefined;
    if (!source) {
      fail(res, 400, 'BadArgumentError', 'The request had some invalid properties', {
        code: 'SemanticError',
        message: `'${parsed.table}': Failed to resolve table or column expression named '${parsed.table}'`,
      });
      return;
    }
    const now = clock();
    const window = timespan === undefined ? null : parseTimespan(timespan, now);
    if (timespan !== undefined && window === null) {
      fail(res, 400, 'BadArgumentError', 'The request had some invalid properties', { code: 'InvalidTimespan', message: `Cannot read timespan ${timespan}` });
      return;
    }
    const all = source();
    const inWindow = window ? all.filter((r) => {
      const t = timeOf(r);
      return t !== null && t >= window.from && t < window.to;
    }) : all;
    const rows = applySteps(inWindow, parsed.steps, timeOf, now);
    const columns = columnsOf(parsed.table, rows);
    const prefer = String(req.headers['prefer'] ?? '');
    send(
      res,
      200,
      {
        tables: [{ name: 'PrimaryResult', columns, rows: rows.map((r) => columns.map((c) => wireValue(r[c.name]))) }],
        ...(prefer.includes('include-statistics=true') ? { statistics: { query: { executionTime: 0.001 } } } : {}),
        ...(partialError ? { error: { code: 'PartialError', message: 'There were some errors when processing your query.', details: [{ code: partialError.code, message: partialError.message }] } } : {}),
      },
      parsed.ignored.length > 0 ? { 'x-keysteward-ignored-operators': encodeURIComponent(parsed.ignored.join(' | ')) } : {},
    );
  }

  const server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) fail(res, 500, 'InternalServerError', 'The emulator failed.');
      else res.destroy();
    });
  });
  const port = await listenOnLoopback(server, options.port);

  return {
    endpoint: `https://localhost:${port}/v1`,
    setPartialError(error) {
      partialError = error ? { code: error.code, message: error.message } : null;
    },
    requests: () => [...received],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
