// ACS Email capture: an HTTPS server speaking the `emails:send` REST subset exactly as @azure/communication-email
// 1.1 uses it (azure-formats.md §6.1), so the production notifier is tested through the real SDK. It verifies
// the HMAC signature like ACS, stores every accepted message, and serves them at GET /messages for people and
// tests. Never logs the access key, the connection string or message bodies.
import { readBody } from '../../adapters/http/readBody.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyHmacRequest } from './hmac.js';
import { SlidingWindowLimiter } from './rateLimit.js';
import type { RateLimitOptions } from './rateLimit.js';
import { describeIssues, sendRequestSchema } from './schema.js';
import type { SendRequest } from './schema.js';
import { listenOnLoopback } from '../listen.js';

export interface EmailAddress {
  readonly address: string;
  readonly displayName?: string;
}

export type OperationStatus = 'Succeeded' | 'Failed';

export interface CapturedEmail {
  readonly operationId: string;
  /** Clock milliseconds when the send was accepted. */
  readonly receivedAt: number;
  readonly apiVersion: string;
  readonly senderAddress: string;
  readonly subject: string;
  readonly plainText?: string;
  readonly html?: string;
  readonly to: readonly EmailAddress[];
  readonly cc: readonly EmailAddress[];
  readonly bcc: readonly EmailAddress[];
  readonly replyTo: readonly EmailAddress[];
  readonly headers: Readonly<Record<string, string>>;
  readonly userEngagementTrackingDisabled?: boolean;
  readonly attachments: readonly string[];
  /** What GET /emails/operations/{id} reports. */
  readonly status: OperationStatus;
}

export interface EmailCaptureOptions {
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Base64 access key; a random 64-byte key when absent. */
  readonly accessKey?: string;
  /** Epoch milliseconds: `receivedAt`, rate windows and the x-ms-date skew check. */
  readonly clock?: () => number;
  /** Quota beyond which sends get 429 + Retry-After (ACS: 30/min, 100/h — see ACS_DEFAULT_LIMITS). Off by default. */
  readonly rateLimit?: RateLimitOptions;
  /** Retry-After (seconds) on the 202 answer. */
  readonly retryAfterSec?: number;
  /** Largest accepted |clock − x-ms-date|; ACS refuses stale signed requests. Default 15 minutes. */
  readonly maxDateSkewMs?: number;
  /** Messages for which the operation ends `Failed` (to exercise a notifier's failure path). */
  readonly failWhen?: (message: CapturedEmail) => boolean;
}

export interface EmailCapture {
  /** `https://localhost:<port>/` */
  readonly endpoint: string;
  /** `endpoint=https://localhost:<port>/;accesskey=<base64>` — a secret: do not log it. */
  readonly connectionString: string;
  messages(): CapturedEmail[];
  /** The first message (already stored or still to come) matching `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (m: CapturedEmail) => boolean, timeoutMs: number): Promise<CapturedEmail>;
  clear(): void;
  close(): Promise<void>;
}

const MAX_BODY = 10 * 1024 * 1024; // ACS caps a request, attachments included, at 10 MB.
const OPERATION_PATH = /^\/emails\/operations\/([^/]+)$/;

interface Waiter {
  readonly predicate: (m: CapturedEmail) => boolean;
  readonly resolve: (m: CapturedEmail) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}), 'x-ms-request-id': randomUUID(), ...headers });
  res.end(text);
}

/** The ACS ErrorResponse body plus the `x-ms-error-code` header the SDK reads into RestError.code. */
function acsError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  json(res, status, { error: { code, message } }, { 'x-ms-error-code': code, ...headers });
}

function toCaptured(body: SendRequest, operationId: string, receivedAt: number, apiVersion: string): Omit<CapturedEmail, 'status'> {
  const { plainText, html } = body.content;
  const addr = (list: SendRequest['recipients']['to'] | undefined): EmailAddress[] =>
    (list ?? []).map((a) => (a.displayName === undefined ? { address: a.address } : { address: a.address, displayName: a.displayName }));
  return {
    operationId,
    receivedAt,
    apiVersion,
    senderAddress: body.senderAddress,
    subject: body.content.subject,
    ...(plainText === undefined ? {} : { plainText }),
    ...(html === undefined ? {} : { html }),
    to: addr(body.recipients.to),
    cc: addr(body.recipients.cc),
    bcc: addr(body.recipients.bcc),
    replyTo: addr(body.replyTo),
    headers: body.headers ?? {},
    ...(body.userEngagementTrackingDisabled === undefined ? {} : { userEngagementTrackingDisabled: body.userEngagementTrackingDisabled }),
    attachments: (body.attachments ?? []).map((a) => a.name),
  };
}

export async function startEmailCapture(options: EmailCaptureOptions): Promise<EmailCapture> {
  const accessKeyText = options.accessKey ?? randomBytes(64).toString('base64');
  const accessKey = Buffer.from(accessKeyText, 'base64');
  if (accessKey.length === 0) throw new Error('accessKey must be non-empty base64');
  const clock = options.clock ?? Date.now;
  const maxSkewMs = options.maxDateSkewMs ?? 15 * 60_000;
  const retryAfter = String(options.retryAfterSec ?? 1);
  const limiter = options.rateLimit ? new SlidingWindowLimiter(options.rateLimit) : null;

  const stored: CapturedEmail[] = [];
  const byOperation = new Map<string, CapturedEmail>();
  let waiters: Waiter[] = [];
  let endpoint = '';

  const store = (message: CapturedEmail): void => {
    stored.push(message);
    byOperation.set(message.operationId, message);
    const still: Waiter[] = [];
    for (const w of waiters) {
      if (w.predicate(message)) {
        clearTimeout(w.timer);
        w.resolve(message);
      } else still.push(w);
    }
    waiters = still;
  };

  async function send(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const apiVersion = url.searchParams.get('api-version') ?? '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      acsError(res, 400, 'BadRequest', 'The request body is not valid JSON.');
      return;
    }
    const valid = sendRequestSchema.safeParse(parsed);
    if (!valid.success) {
      acsError(res, 400, 'BadRequest', `Invalid request: ${describeIssues(valid.error)}`);
      return;
    }
    const header = req.headers['operation-id'];
    const operationId = (Array.isArray(header) ? header[0] : header) || randomUUID();
    const answer = (message: CapturedEmail): void =>
      json(res, 202, { id: message.operationId, status: 'Running' }, {
        'operation-location': `${endpoint}emails/operations/${encodeURIComponent(message.operationId)}?api-version=${encodeURIComponent(apiVersion)}`,
        'retry-after': retryAfter,
      });
    // Operation-Id is the client's idempotency key: a retried send is answered again, never stored twice,
    // and does not count against the quota a second time.
    const existing = byOperation.get(operationId);
    if (existing) {
      answer(existing);
      return;
    }
    const now = clock();
    if (limiter) {
      const decision = limiter.check(now);
      if (!decision.ok) {
        acsError(res, 429, 'TooManyRequests', 'The email send rate limit of this resource was exceeded; retry after the indicated time.', {
          'retry-after': String(decision.retryAfterSec),
        });
        return;
      }
      limiter.record(now);
    }
    const base = toCaptured(valid.data, operationId, now, apiVersion);
    const provisional: CapturedEmail = { ...base, status: 'Succeeded' };
    const message: CapturedEmail = options.failWhen?.(provisional) ? { ...base, status: 'Failed' } : provisional;
    store(message);
    answer(message);
  }

  function operation(res: ServerResponse, id: string): void {
    const message = byOperation.get(id);
    if (!message) {
      acsError(res, 404, 'NotFound', 'No email send operation with this id.');
      return;
    }
    json(res, 200, {
      id: message.operationId,
      status: message.status,
      ...(message.status === 'Failed' ? { error: { code: 'EmailDeliveryFailed', message: 'The emulator was told to fail this message.' } } : {}),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const body = await readBody(req, MAX_BODY);
    if (body === null) {
      acsError(res, 413, 'RequestBodyTooLarge', 'The request exceeds 10 MB.');
      return;
    }
    // Inspection API for people and tests: plain JSON, no signature.
    if (url.pathname === '/messages') {
      if (req.method === 'GET') json(res, 200, stored);
      else if (req.method === 'DELETE') {
        stored.length = 0;
        byOperation.clear();
        json(res, 204, undefined);
      } else acsError(res, 405, 'MethodNotAllowed', 'GET or DELETE.');
      return;
    }
    const isSend = url.pathname === '/emails:send' && req.method === 'POST';
    const op = req.method === 'GET' ? OPERATION_PATH.exec(url.pathname) : null;
    if (!isSend && !op) {
      acsError(res, 404, 'NotFound', 'Unknown path.');
      return;
    }
    if (!url.searchParams.get('api-version')) {
      acsError(res, 400, 'MissingApiVersionParameter', 'The api-version query parameter is required.');
      return;
    }
    const check = verifyHmacRequest({ method: req.method ?? '', url: req.url ?? '/', headers: req.headers, body }, accessKey, clock(), maxSkewMs);
    if (!check.ok) {
      acsError(res, 401, 'Denied', 'Denied by the resource provider.');
      return;
    }
    if (isSend) await send(req, res, url, body);
    else operation(res, decodeURIComponent(op?.[1] ?? ''));
  }

  const server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) acsError(res, 500, 'InternalServerError', 'The emulator failed.');
      else res.destroy();
    });
  });
  const port = await listenOnLoopback(server, options.port);
  endpoint = `https://localhost:${port}/`;

  return {
    endpoint,
    connectionString: `endpoint=${endpoint};accesskey=${accessKeyText}`,
    messages: () => [...stored],
    waitFor(predicate, timeoutMs) {
      const found = stored.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<CapturedEmail>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w.timer !== timer);
          reject(new Error(`no matching email within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push({ predicate, resolve, reject, timer });
      });
    },
    clear() {
      stored.length = 0;
      byOperation.clear();
    },
    close() {
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(new Error('email capture closed'));
      }
      waiters = [];
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
