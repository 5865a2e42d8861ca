// The standalone host's HTTP server (node:http): routes to the function handlers, with each route's body size cap
// (checked while reading: past it nothing more is buffered, and the answer is 413) and errors normalised (an
// unexpected error is a 500 with no detail to the caller; the log has it).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Logger } from '../../app/ports.js';
import type { HttpOutput } from '../../functions/definitions.js';
import { matchRoute, type Route } from './router.js';
import { readBody } from '../../adapters/http/readBody.js';
import { keyMatches } from '../../functions/http.js';
import { isConsolePath, loginPage, LOGIN_HEADERS, sessionCookie, sessionValid } from './consoleSession.js';

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

/** Routes that answer without the API key: liveness for probes, Event Grid (it carries its own key) and the ITSM webhooks (signed). */
const OPEN_PATHS = new Set(['/api/health', '/api/events/eventgrid']);
const OPEN_PATTERN = /^\/api\/itsm\/(standard|jira|jsm-automation)$/;

/** Names of headers the request carried more than once (node keeps them apart in headersDistinct). */
function duplicatedOf(req: IncomingMessage): string[] {
  return Object.entries(req.headersDistinct).filter(([, v]) => (v?.length ?? 0) > 1).map(([k]) => k.toLowerCase());
}

/** The host's server; `endStreams` ends every streamed answer (server-sent events) so that close() can finish. */
export type HostServer = Server & { endStreams(): void };

export function createHttpServer(routes: readonly Route[], log: Logger, apiKey?: string): HostServer {
  const streams = new Set<AbortController>();
  const server = createServer((req, res) => {
    const send = (out: HttpOutput): void => {
      const headers: Record<string, string> = { 'cache-control': 'no-store', ...(out.headers ?? {}) };
      let body = out.body ?? '';
      if (out.jsonBody !== undefined) {
        body = JSON.stringify(out.jsonBody, null, 2);
        headers['content-type'] ??= 'application/json; charset=utf-8';
      }
      if (out.stream) {
        const closed = new AbortController();
        streams.add(closed);
        res.on('close', () => closed.abort());
        res.writeHead(out.status, headers);
        res.flushHeaders();
        void out
          .stream((chunk) => void res.write(chunk), closed.signal)
          .catch((err: unknown) => log.warn({ error: err instanceof Error ? err.message : String(err) }, 'stream ended with an error'))
          .finally(() => {
            streams.delete(closed);
            res.end();
          });
        return;
      }
      res.writeHead(out.status, headers).end(body);
    };
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (apiKey !== undefined && url.pathname === '/login') {
        if (req.method === 'POST') {
          const form = new URLSearchParams((await readBody(req, 4096))?.toString('utf8') ?? '');
          if (!keyMatches(apiKey, form.get('key') ?? undefined)) return send({ status: 401, headers: LOGIN_HEADERS, body: loginPage('That is not this host’s API key.') });
          const secure = req.headers['x-forwarded-proto'] === 'https';
          return send({ status: 303, headers: { location: '/', 'set-cookie': sessionCookie(apiKey, secure, Date.now()) } });
        }
        return send({ status: 200, headers: LOGIN_HEADERS, body: loginPage(null) });
      }
      // The console's script and stylesheet are public (no data in them): the sign-in page uses the stylesheet too.
      const staticAsset = req.method === 'GET' && /^(\/api\/dashboard)?\/assets\/[\w.-]+$/.test(url.pathname);
      if (apiKey !== undefined && !staticAsset && !OPEN_PATHS.has(url.pathname) && !(req.method === 'POST' && OPEN_PATTERN.test(url.pathname))) {
        const given = req.headers['x-api-key'] ?? /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        // A console page may also be opened with the session cookie /login gives (GET only: never an API write).
        const consoleGet = req.method === 'GET' && isConsolePath(url.pathname);
        const ok = keyMatches(apiKey, typeof given === 'string' ? given : undefined) || (consoleGet && sessionValid(apiKey, req.headers.cookie, Date.now()));
        if (!ok) {
          if (consoleGet && (req.headers.accept ?? '').includes('text/html')) return send({ status: 303, headers: { location: '/login' } });
          return send({ status: 401, jsonBody: { error: 'unauthorized' } });
        }
      }
      let match;
      try {
        match = matchRoute(routes, req.method ?? 'GET', url.pathname);
      } catch {
        return send({ status: 400, jsonBody: { error: 'malformed path' } });
      }
      if ('status' in match) return send({ status: match.status, jsonBody: { error: match.status === 404 ? 'not found' : 'method not allowed' } });
      const rawBody = await readBody(req, match.route.maxBodyBytes);
      if (rawBody === null) return send({ status: 413, jsonBody: { error: 'body too large' } });
      send(await match.route.handler({ method: req.method ?? 'GET', params: match.params, query: url.searchParams, headers: headersOf(req), duplicatedHeaders: duplicatedOf(req), rawBody, path: url.pathname }));
    })().catch((err: unknown) => {
      // The path only: a query string may carry a key (Event Grid's `code`), and logs never hold secrets (I8).
      log.error({ path: (req.url ?? '').split('?')[0], error: err instanceof Error ? err.message : String(err) }, 'request failed');
      if (!res.headersSent) send({ status: 500, jsonBody: { error: 'internal error' } });
      else res.destroy();
    });
  });
  return Object.assign(server, {
    endStreams: () => {
      for (const s of streams) s.abort();
    },
  });
}
