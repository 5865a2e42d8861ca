// The HTTPS server of the Jira Cloud / JSM emulator: `https://localhost:<port>` stands for https://<site>.atlassian.net.
// Each REST request goes: body cap → outage switch → Basic auth → per-user rate limit → routes; every one is logged
// with the user's email (never the token) and the status answered. /_admin is the unauthenticated admin API,
// answered to loopback peers only.
import { readBody } from '../../adapters/http/readBody.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { handleAdmin } from './admin.js';
import { authenticate } from './auth.js';
import { internalError, JiraError, notAuthenticated, outageResponse, rateLimited, tooLarge } from './errors.js';
import { RollingMinuteLimiter } from './rateLimit.js';
import { commentSnapshot, issueSnapshot } from './render.js';
import { handleRest } from './routes.js';
import { fireWebhook } from './sender.js';
import { JiraStore } from './store.js';
import type { ApiRequestLog, JiraEmulator, JiraEmulatorOptions, WebhookDelivery } from './types.js';
import { listenOnLoopback } from '../listen.js';

const MAX_BODY = 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

function sendJson(res: ServerResponse, r: Reply, extra: Record<string, string> = {}): void {
  const payload = r.body === undefined || r.status === 204 ? '' : JSON.stringify(r.body);
  res.writeHead(r.status, {
    ...(payload ? { 'Content-Type': 'application/json;charset=UTF-8' } : {}),
    ...extra,
    ...r.headers,
    'Content-Length': String(Buffer.byteLength(payload)),
  });
  res.end(payload);
}

const fromError = (e: JiraError): Reply => ({ status: e.status, body: e.payload, headers: e.headers });

export async function startJiraEmulator(options: JiraEmulatorOptions): Promise<JiraEmulator> {
  const clock = options.clock ?? Date.now;
  const store = new JiraStore(options.users, options.projects, options.fields ?? [], clock);
  const limiter = options.rateLimitPerMinute === undefined ? null : new RollingMinuteLimiter(options.rateLimitPerMinute);
  const retryDelayMs = options.webhookRetryDelayMs ?? 1000;
  const log: ApiRequestLog[] = [];
  const deliveries: WebhookDelivery[] = [];
  let fault: { status: number; remaining: number | null } | null = null;
  let changelogId = 10000;
  let base = '';

  /** The REST pipeline; returns what it answered (for the log) and who asked. */
  async function rest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<{ status: number; user: string | null }> {
    const requestId = randomUUID();
    const body = await readBody(req, MAX_BODY);
    const user = authenticate(store, req.headers.authorization);
    const email = user?.email ?? null;
    if (fault) {
      const { status } = fault;
      if (fault.remaining !== null && --fault.remaining <= 0) fault = null;
      const page = outageResponse(status);
      res.writeHead(page.status, { 'Content-Type': page.contentType, 'Content-Length': String(Buffer.byteLength(page.body)) });
      res.end(page.body);
      return { status, user: email };
    }
    const extra: Record<string, string> = { 'X-AREQUESTID': requestId, ...(user ? { 'X-AACCOUNTID': user.accountId } : {}) };
    const answer = (r: Reply): { status: number; user: string | null } => {
      sendJson(res, r, extra);
      return { status: r.status, user: email };
    };
    if (body === null) return answer(fromError(tooLarge()));
    if (!user) return answer(fromError(notAuthenticated()));
    if (limiter) {
      const d = limiter.take(user.email, clock());
      if (!d.ok) return answer(fromError(rateLimited(d.headers)));
    }
    try {
      return answer(
        handleRest({ store, base }, { method: req.method ?? 'GET', url, contentType: req.headers['content-type'], body }, user),
      );
    } catch (e) {
      return answer(fromError(e instanceof JiraError ? e : internalError()));
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    if (url.pathname === '/_admin' || url.pathname.startsWith('/_admin/')) {
      if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) return sendJson(res, { status: 403, body: { error: 'the admin API answers loopback clients only' } });
      const body = await readBody(req, MAX_BODY);
      if (body === null) return sendJson(res, { status: 413, body: { error: 'body too large' } });
      return sendJson(res, await handleAdmin(req.method ?? 'GET', url, body, emulator));
    }
    const at = clock();
    const { status, user } = await rest(req, res, url);
    log.push({ at, method: req.method ?? 'GET', path: url.pathname, user, status });
  }

  const server = createServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, fromError(internalError()));
      else res.destroy();
    });
  });
  const port = await listenOnLoopback(server, options.port);
  base = `https://localhost:${port}`;

  const emulator: JiraEmulator = {
    url: base,
    port,
    createIssue(input) {
      const issue = store.createFromAdmin(input);
      return { id: issue.id, key: issue.key };
    },
    updateIssue(key, patch) {
      store.updateFromAdmin(key, patch);
    },
    decide(key, decision, index) {
      store.decide(key, decision, index);
    },
    issue(key) {
      const issue = store.findIssue(key);
      return issue ? issueSnapshot(base, store, issue) : null;
    },
    issues: () => store.all().map((i) => issueSnapshot(base, store, i)),
    comments: (key) => store.mustFind(key).comments.map(commentSnapshot),
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
    fireWebhook: (input) =>
      fireWebhook({ store, base, clock, retryDelayMs, record: (d) => deliveries.push(d), nextChangelogId: () => changelogId++ }, input),
    deliveries: () => [...deliveries],
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
