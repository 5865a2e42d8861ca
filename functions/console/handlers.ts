// HTTP handlers of the operator console. Query strings are read with zod and an unusable value falls back to its
// default (a bookmarked link with a stale filter still shows the board). Pages are complete HTML without script;
// `assets/console.js` adds the countdowns and the live updates.
import { z } from 'zod';
import type { HttpInput, HttpOutput } from '../definitions.js';
import type { Services } from '../services.js';
import { HEALTH_ORDER } from '../../domain/console/summary.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { incidentsOnPage, KINDS, renderBoard, type BoardQuery } from './board.js';
import { renderProtector, renderRotation, renderRotations } from './detailPages.js';
import { esc, page, PAGE_HEADERS } from './layout.js';
import { consoleSnapshot, consoleVersion, watchVersion } from './live.js';

/** Where the console is served: `/api/dashboard/` on the Function App, `/` on the standalone host. */
export function baseOf(req: HttpInput): string {
  return (req.path ?? '').startsWith('/api/dashboard') ? '/api/dashboard/' : '/';
}

const field = <T>(schema: z.ZodType<T>, value: string | null, fallback: T): T => {
  const parsed = schema.safeParse(value ?? undefined);
  return parsed.success ? parsed.data : fallback;
};

export function boardQuery(query: URLSearchParams): BoardQuery {
  return {
    q: field(z.string().max(200), query.get('q'), ''),
    health: field(z.enum(HEALTH_ORDER as [BoardQuery['health'] & string, ...Array<BoardQuery['health'] & string>]), query.get('health'), ''),
    kind: field(z.enum(KINDS), query.get('kind'), ''),
    page: field(z.coerce.number().int().min(1).max(100_000), query.get('page'), 1),
    ipage: field(z.coerce.number().int().min(1).max(100_000), query.get('ipage'), 1),
  };
}

/**
 * Every console route: with CONSOLE_AUTH=app-service the Functions host lets the request through anonymously, and
 * the identity App Service Authentication established must be there (Easy Auth sets the header and strips a
 * client's). Otherwise the host has already authenticated it (function key; the standalone host's API key or session).
 */
export function consoleRoute(services: Services, handler: (req: HttpInput) => Promise<HttpOutput>): (req: HttpInput) => Promise<HttpOutput> {
  return async (req) => {
    if (services.config.consoleAuth === 'app-service' && !req.headers['x-ms-client-principal-id']) {
      // Easy Auth's own sign-in endpoint (Microsoft Entra ID), back to this page: a path on this site only, never a URL.
      const back = `${req.path}${req.query.size > 0 ? `?${req.query.toString()}` : ''}`;
      const signIn = `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(back)}`;
      return { status: 401, headers: PAGE_HEADERS, body: page({ base: baseOf(req), title: 'Sign-in required', section: 'board', now: services.clock.now(), main: `<h1>Sign-in required</h1><p>This console is behind App Service Authentication, and this request carried no signed-in identity.</p><p><a href="${esc(signIn)}">Sign in with Microsoft Entra ID</a></p>` }) };
    }
    return handler(req);
  };
}

const html = (body: string, status = 200): HttpOutput => ({ status, headers: PAGE_HEADERS, body });

function notFound(req: HttpInput, services: Services, what: string): HttpOutput {
  return html(page({ base: baseOf(req), title: 'Not found', section: 'board', now: services.clock.now(), main: `<h1>Not found</h1><p>${esc(what)}</p><p><a href="./">Back to the incident board</a></p>` }), 404);
}

export async function boardHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const q = boardQuery(req.query);
  const { view, version, firstPageAlerts } = await consoleSnapshot(services);
  const alerts = q.ipage === 1 ? firstPageAlerts : await services.incidentAlerts(incidentsOnPage(view, q));
  const open = view.incidents.length;
  return html(page({ base: baseOf(req), title: open ? `${open} open incident${open === 1 ? '' : 's'}` : 'No open incidents', section: 'board', now: view.evaluatedAt, version, main: renderBoard(view, alerts, q) }));
}

export async function protectorPageHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const id = req.params['id'] ?? '';
  const [detail, version] = await Promise.all([services.protectorConsole(id), consoleVersion(services)]);
  if (!detail) return notFound(req, services, `No protector "${id}" in the estate in use.`);
  return html(page({ base: baseOf(req), title: detail.summary.id, section: 'protector', now: detail.evaluatedAt, version, main: renderProtector(detail) }));
}

export async function rotationsPageHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const [{ work, version }, discovery] = await Promise.all([consoleSnapshot(services), services.discoveryStatus().catch(() => null)]);
  return html(page({ base: baseOf(req), title: 'Rotations', section: 'rotations', now: services.clock.now(), version, main: renderRotations(work, discovery) }));
}

export async function rotationPageHandler(services: Services, req: HttpInput): Promise<HttpOutput> {
  const id = req.params['id'] ?? '';
  const [run, version] = await Promise.all([services.getRotation(id), consoleVersion(services)]);
  if (!run) return notFound(req, services, `No rotation "${id}".`);
  return html(page({ base: baseOf(req), title: run.id, section: 'rotation', now: services.clock.now(), version, main: renderRotation(run) }));
}

const ASSETS: Readonly<Record<string, { type: string; body: string }>> = {
  'console.js': { type: 'text/javascript; charset=utf-8', body: CONSOLE_JS },
  'console.css': { type: 'text/css; charset=utf-8', body: CONSOLE_CSS },
};

export async function assetHandler(req: HttpInput): Promise<HttpOutput> {
  const asset = ASSETS[req.params['name'] ?? ''];
  if (!asset) return { status: 404, jsonBody: { error: 'not found' } };
  return { status: 200, headers: { 'content-type': asset.type, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' }, body: asset.body };
}

/** GET version: what polling clients compare (the Function App's fallback for the event stream). */
export async function versionHandler(services: Services): Promise<HttpOutput> {
  return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: { version: await consoleVersion(services) } };
}

/** Heartbeat comments keep proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/** GET events: server-sent events, `event: version` with the new version whenever it changes. */
export async function eventsHandler(services: Services): Promise<HttpOutput> {
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
    stream: async (write, closed) => {
      write('retry: 3000\n\n');
      const stop = watchVersion(services, (version) => write(`event: version\ndata: ${version}\n\n`));
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
      try {
        await new Promise<void>((resolve) => {
          if (closed.aborted) resolve();
          else closed.addEventListener('abort', () => resolve(), { once: true });
        });
      } finally {
        clearInterval(heartbeat);
        stop();
      }
    },
  };
}
