// The HTTPS server of the ServiceNow emulator: `https://localhost:<port>` stands for https://<instance>.service-now.com.
// Each API request goes: outage switch → body cap → oauth_token.do, or Basic / Bearer auth → per-user rate limit →
// Table API routes; every one is logged with the acting user's name (never a password or token) and the status
// answered. /_admin is the unauthenticated admin API, answered to loopback peers only and not logged.
import { readBody } from '../../adapters/http/readBody.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { handleAdmin } from './admin.js';
import { Credentials } from './auth.js';
import { authFailed, authMissing, internalError, JSON_TYPE, noResource, outageReply, rateLimited, SnowError, tooLarge, type Reply } from './errors.js';
import { RollingMinuteLimiter } from './rateLimit.js';
import { journalEntry, snapshot } from './render.js';
import { handleTable } from './routes.js';
import { sendRotationRequest } from './sender.js';
import { SnowStore, type StoredRecord } from './store.js';
import { tableDef, type TableDef } from './tables.js';
import type { ApiRequestLog, OutboundLogEntry, ServiceNowEmulator, ServiceNowEmulatorOptions } from './types.js';
import { listenOnLoopback } from '../listen.js';

const MAX_BODY = 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const DEFAULT_TOKEN_TTL_SECONDS = 1799;

function send(res: ServerResponse, r: Reply): void {
  const payload = r.raw ? r.raw.text : r.body === undefined || r.status === 204 ? '' : JSON.stringify(r.body);
  const type = r.raw ? r.raw.contentType : JSON_TYPE;
  res.writeHead(r.status, { ...(payload ? { 'Content-Type': type } : {}), ...r.headers, 'Content-Length': String(Buffer.byteLength(payload)) });
  res.end(payload);
}

/** The table a TS / admin API call names; a programming error (thrown) when it is not emulated. */
function mustTable(name: string): TableDef {
  const def = tableDef(name);
  if (!def) throw new Error(`unknown table ${name} (emulated: change_request, incident, cmdb_ci, sys_user, sys_journal_field)`);
  return def;
}

export async function startServiceNowEmulator(options: ServiceNowEmulatorOptions): Promise<ServiceNowEmulator> {
  const clock = options.clock ?? Date.now;
  const credentials = new Credentials(options.users, options.oauthClients ?? [], clock, options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS);
  const store = new SnowStore(clock, options.users);
  const limiter = options.rateLimitPerMinute === undefined ? null : new RollingMinuteLimiter(options.rateLimitPerMinute);
  const log: ApiRequestLog[] = [];
  const outbound: OutboundLogEntry[] = [];
  let fault: { status: number; remaining: number | null } | null = null;
  let base = '';

  /** The API pipeline; returns the reply and whom it was for (for the log). */
  async function api(req: IncomingMessage, url: URL): Promise<{ reply: Reply; user: string | null }> {
    const body = await readBody(req, MAX_BODY);
    const auth = credentials.authenticate(req.headers.authorization);
    const user = 'principal' in auth ? auth.principal.name : null;
    if (fault) {
      const { status } = fault;
      if (fault.remaining !== null && --fault.remaining <= 0) fault = null;
      return { reply: outageReply(status), user };
    }
    if (body === null) return { reply: tooLarge().reply(), user };
    if (url.pathname === '/oauth_token.do') return credentials.tokenEndpoint(req.method ?? 'GET', req.headers['content-type'], body);
    // [inferred] paths outside /api are not REST resources (a real instance would serve its UI there).
    if (!url.pathname.startsWith('/api/')) return { reply: noResource().reply(), user };
    if (!('principal' in auth)) return { reply: (auth.failure === 'missing' ? authMissing() : authFailed()).reply(), user: null };
    if (limiter) {
      const d = limiter.take(auth.principal.name, clock());
      if (!d.ok) return { reply: rateLimited(limiter.limit, d.headers).reply(), user };
    }
    try {
      return { reply: handleTable({ store, base }, { method: req.method ?? 'GET', url, body }, auth.principal), user };
    } catch (e) {
      return { reply: (e instanceof SnowError ? e : internalError()).reply(), user };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    if (url.pathname === '/_admin' || url.pathname.startsWith('/_admin/')) {
      if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) return send(res, { status: 403, body: { error: 'the admin API answers loopback clients only' } });
      const body = await readBody(req, MAX_BODY);
      if (body === null) return send(res, { status: 413, body: { error: 'body too large' } });
      const r = await handleAdmin(req.method ?? 'GET', url, body, emulator);
      return send(res, { status: r.status, body: r.body });
    }
    const at = clock();
    const { reply, user } = await api(req, url);
    send(res, reply);
    log.push({ at, method: req.method ?? 'GET', path: url.pathname, user, status: reply.status });
  }

  const server = createServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, internalError().reply());
      else res.destroy();
    });
  });
  const port = await listenOnLoopback(server, options.port);
  base = `https://localhost:${port}`;

  const mustFind = (table: string, numberOrSysId: string): StoredRecord => {
    const rec = store.find(mustTable(table), numberOrSysId);
    if (!rec) throw new Error(`unknown ${table} record ${numberOrSysId}`);
    return rec;
  };

  const emulator: ServiceNowEmulator = {
    url: base,
    port,
    createRecord: (table, fields) => snapshot(store, store.insert(mustTable(table), { ...fields }, 'admin', 'admin')),
    createChange: (fields) => emulator.createRecord('change_request', fields),
    updateRecord: (table, numberOrSysId, fields) => snapshot(store, store.update(mustFind(table, numberOrSysId), { ...fields }, 'admin', 'admin')),
    record(table, numberOrSysId) {
      const rec = store.find(mustTable(table), numberOrSysId);
      return rec ? snapshot(store, rec) : null;
    },
    records: (table) => store.list(mustTable(table)).map((r) => snapshot(store, r)),
    journal: (table, numberOrSysId) => store.journalOf(mustFind(table, numberOrSysId)).map(journalEntry),
    outage(f) {
      if (f === null) {
        fault = null;
        return;
      }
      if (!Number.isInteger(f.status) || f.status < 400 || f.status > 599) throw new Error('outage status must be an HTTP error status (400-599)');
      if (f.count !== undefined && (!Number.isInteger(f.count) || f.count < 1)) throw new Error('outage count must be a positive integer');
      fault = { status: f.status, remaining: f.count ?? null };
    },
    requests: () => [...log],
    sendRotationRequest: (input) => sendRotationRequest({ store, clock, record: (e) => outbound.push(e) }, input),
    outboundLog: () => [...outbound],
    close: () => close(server),
  };
  return emulator;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Clients keep connections alive: drop them so close() does not wait for their timeout.
    server.closeAllConnections();
  });
}
