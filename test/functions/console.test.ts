// The operator console's read model and pages, without a browser: the view built from a state scan (real
// derivation of the scale estate's states), urgency order, filters and paging on the server, escaping of every value,
// query strings that fall back instead of failing, the view cache's single flight, and the standalone host's
// console sign-in (the cookie opens console pages for GET only).
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../app/fakes/memoryStateStore.js';
import { fixedEstate } from '../../app/estateSource.js';
import { buildConsoleView, createViewCache, type ConsoleView } from '../../app/console/view.js';
import { indexEstate } from '../../domain/estate/index.js';
import { compareUrgency } from '../../domain/console/summary.js';
import type { Incident } from '../../domain/report.js';
import { boardQuery } from '../../functions/console/handlers.js';
import { PAGE_SIZE, renderBoard, selectProtectors, type BoardQuery } from '../../functions/console/board.js';
import { page } from '../../functions/console/layout.js';
import { createHttpServer, type HostServer } from '../../hosts/standalone/httpServer.js';
import { compileRoute } from '../../hosts/standalone/router.js';
import { sessionToken } from '../../hosts/standalone/consoleSession.js';
import { silentLogger } from '../../adapters/logging/logger.js';
import { functionDefinitions } from '../../functions/list.js';
import type { FunctionDefinition, HttpInput, HttpTrigger } from '../../functions/definitions.js';
import type { Services } from '../../functions/services.js';
import { scaleEstate, scaleFold, scaleSnapshot } from '../../bench/scaleEstate.js';

const NOW = Date.parse('2026-12-06T03:00:00Z');
const COUNT = 130;
/** Protectors 0, 10, 20, … lost access; the lower the index, the longer ago (so the sooner they go Inaccessible). */
const incidentOf = (i: number): { lostMinutesAgo: number } | undefined => (i % 10 === 0 ? { lostMinutesAgo: 15 - Math.floor(i / 10) } : undefined);

let view: ConsoleView;

beforeAll(async () => {
  const estate = scaleEstate(COUNT);
  const fold = scaleFold(indexEstate(estate), NOW, incidentOf);
  const state = new MemoryStateStore();
  for (const p of estate.protectors) await state.save(p.id, scaleSnapshot(fold, p, NOW), null);
  view = await buildConsoleView({ estates: fixedEstate(estate), state, clock: { now: () => NOW } });
});

const q = (over: Partial<BoardQuery> = {}): BoardQuery => ({ q: '', health: '', kind: '', page: 1, ipage: 1, ...over });

describe('console view', () => {
  it('summarises every protector from the scan, with every open incident most urgent first', () => {
    expect(view.protectors).toHaveLength(COUNT);
    expect(view.unreadable).toBe(0);
    // 13 lost access 3..15 minutes ago: 10 minutes on (inaccessibleAfter) they are Inaccessible, the rest still losing access.
    expect(view.incidents).toHaveLength(13);
    const stages = view.incidents.map((i) => i.stage);
    expect(stages.filter((s) => s === 'inaccessible')).toHaveLength(6);
    expect(stages.filter((s) => s === 'access_lost')).toHaveLength(7);
    expect(stages.indexOf('access_lost')).toBe(6); // worst stage first
    const accessLost = view.incidents.filter((i) => i.stage === 'access_lost').map((i) => Date.parse(i.inaccessibleAt ?? ''));
    expect([...accessLost].sort((a, b) => a - b)).toEqual(accessLost); // then the soonest deadline
    expect(view.protectors.filter((p) => p.health !== 'healthy').map((p) => p.id)).toEqual(view.protectors.filter((_, i) => i % 10 === 0).map((p) => p.id));
    for (const p of view.protectors) expect(p.members.every((m) => m.version !== null && m.region !== null)).toBe(true);
    expect(view.protectors[1]?.nextRotationAt).not.toBeNull();
  });

  it('orders incidents by stage, then deadline, then identity (a total order, so two renders agree)', () => {
    const base: Incident = { protector: 'p', member: 'm', cause: 'permission_revoked', stage: 'access_lost', openedAt: '2026-12-06T02:50:00Z', accessLostAt: '2026-12-06T02:50:00Z', inaccessibleAt: '2026-12-06T03:05:00Z', autohealDeadline: '2026-12-06T03:25:00Z', resolvedAt: null, episode: 0, evidence: [] };
    const table: Incident[] = [
      { ...base, protector: 'c' },
      { ...base, protector: 'a', stage: 'at_risk', inaccessibleAt: null, autohealDeadline: null },
      { ...base, protector: 'b', inaccessibleAt: '2026-12-06T03:01:00Z' },
      { ...base, protector: 'd', stage: 'autoheal_expired', inaccessibleAt: '2026-12-06T02:00:00Z', autohealDeadline: '2026-12-06T02:20:00Z' },
      { ...base, protector: 'a' },
    ];
    expect([...table].sort(compareUrgency(NOW)).map((i) => `${i.stage}:${i.protector}`)).toEqual(['autoheal_expired:d', 'access_lost:b', 'access_lost:a', 'access_lost:c', 'at_risk:a']);
  });

  it('filters by health, kind and search on the server, and pages by PAGE_SIZE', () => {
    expect(selectProtectors(view, q({ health: 'inaccessible' }))).toHaveLength(6);
    expect(selectProtectors(view, q({ kind: 'cosmos-cmk' }))).toHaveLength(0);
    const byServer = view.protectors[7]?.members[1]?.resourceId.split('/').pop() ?? '';
    expect(selectProtectors(view, q({ q: byServer.toUpperCase() })).map((p) => p.id)).toEqual([view.protectors[7]?.id]);
    // An estate file may spell a resource id or vault with capitals (Azure's own ids are case-insensitive).
    const spelled = { ...view, protectors: view.protectors.map((p, i) => (i === 7 ? { ...p, members: p.members.map((m) => ({ ...m, resourceId: m.resourceId.toUpperCase(), vault: m.vault.toUpperCase() })) } : p)) };
    expect(selectProtectors(spelled, q({ q: byServer })).map((p) => p.id)).toEqual([view.protectors[7]?.id]);
    expect(selectProtectors(spelled, q({ q: view.protectors[7]?.members[1]?.vault ?? '' })).map((p) => p.id)).toContain(view.protectors[7]?.id);
    const html = renderBoard(view, [], q({ page: 3 }));
    const rows = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>')).match(/<tr>/g) ?? [];
    expect(rows).toHaveLength(COUNT - 2 * PAGE_SIZE);
    expect(html).toContain(`${COUNT} of ${COUNT} protectors, ${PAGE_SIZE} a page`);
    expect(html).toContain('Page 3 of 3');
    expect(html).toContain('href="./?page=2" rel="prev"');
  });

  it('reads query strings with fallbacks: a stale or hostile link still shows the board', () => {
    expect(boardQuery(new URLSearchParams('health=on_fire&kind=x&page=-3&ipage=abc&q=orders'))).toEqual(q({ q: 'orders' }));
    expect(boardQuery(new URLSearchParams('health=inaccessible&kind=sql-tde&page=4'))).toEqual(q({ health: 'inaccessible', kind: 'sql-tde', page: 4 }));
  });

  it('escapes every value that reaches the page', () => {
    const evil = '"><script>alert(1)</script>';
    const first = view.incidents[0] as Incident;
    const hostile: ConsoleView = {
      ...view,
      incidents: [{ ...first, protector: evil, member: `/x/${evil}`, evidence: [{ source: 'keyvault-audit', time: evil, operation: evil, status: 403 }] }],
      protectors: [{ ...(view.protectors[0] as ConsoleView['protectors'][number]), id: evil, keyName: evil }],
    };
    const alert = { transition: 'access_lost' as const, kind: 'opened' as const, status: 'pending' as const, createdAt: evil, attempts: 2, channels: { [evil]: { status: 'pending' as const, attempts: 2, lastError: evil } } };
    const html = page({ base: '/', title: evil, section: 'board', now: NOW, version: evil, main: renderBoard(hostile, [alert], q({ q: evil })) });
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('href="protectors/%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E"');
  });
});

describe('view cache', () => {
  it('builds once for concurrent viewers, serves a stale view while rebuilding, and waits when asked for a fresh one', async () => {
    let now = 0;
    let builds = 0;
    let release: () => void = () => undefined;
    const build = async (): Promise<ConsoleView> => {
      builds++;
      await new Promise<void>((r) => (release = r));
      return { ...view, evaluatedAt: builds };
    };
    const cache = createViewCache(build, { now: () => now }, { freshMs: 1000, staleMs: 10_000 });
    const [a, b] = [cache.get(), cache.get()];
    release();
    expect([(await a).evaluatedAt, (await b).evaluatedAt, builds]).toEqual([1, 1, 1]);
    now = 5000; // stale: answered at once from the last view while the next is built
    expect((await cache.get()).evaluatedAt).toBe(1);
    expect(builds).toBe(2);
    const fresh = cache.get(0); // joins the build in flight
    release();
    expect((await fresh).evaluatedAt).toBe(2);
    now = 60_000; // past staleMs: the viewer waits
    const late = cache.get();
    expect(builds).toBe(3);
    release();
    expect((await late).evaluatedAt).toBe(3);
  });
});

describe('console sign-in on the standalone host', () => {
  const KEY = 'k'.repeat(32);
  let server: HostServer;
  let url: string;
  beforeAll(async () => {
    const ok = async () => ({ status: 200, body: 'ok' });
    server = createHttpServer([compileRoute('', '', ['GET'], ok, 1024), compileRoute('api', 'protectors', ['GET'], ok, 1024), compileRoute('api', 'protectors/{id}/rotations', ['POST'], ok, 1024)], silentLogger, KEY);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends a browser to /login, gives a session cookie for the right key only, and the cookie opens console GETs only', async () => {
    const html = { accept: 'text/html' };
    const first = await fetch(`${url}/`, { headers: html, redirect: 'manual' });
    expect([first.status, first.headers.get('location')]).toEqual([303, '/login']);
    expect((await fetch(`${url}/login`)).status).toBe(200);
    const form = (key: string) => ({ method: 'POST', body: new URLSearchParams({ key }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' as const });
    expect((await fetch(`${url}/login`, form('wrong'))).status).toBe(401);
    const signedIn = await fetch(`${url}/login`, form(KEY));
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^keysteward_console=\d+\.[\w-]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    expect(cookie).not.toContain(KEY);
    expect((await fetch(`${url}/`, { headers: { cookie: cookie.split(';')[0] ?? '' } })).status).toBe(200);
    const session = { cookie: `keysteward_console=${sessionToken(KEY, Date.now())}` };
    expect((await fetch(`${url}/`, { headers: session })).status).toBe(200);
    // The host refuses a session past its 12 hours (whatever the browser keeps), one issued ahead of its clock, and one under another key.
    expect((await fetch(`${url}/`, { headers: { cookie: `keysteward_console=${sessionToken(KEY, Date.now() - 12 * 3_600_000 - 1_000)}` } })).status).toBe(401);
    expect((await fetch(`${url}/`, { headers: { cookie: `keysteward_console=${sessionToken(KEY, Date.now() + 10 * 60_000)}` } })).status).toBe(401);
    expect((await fetch(`${url}/`, { headers: { cookie: `keysteward_console=${sessionToken('another-key', Date.now())}` } })).status).toBe(401);
    expect((await fetch(`${url}/api/protectors`, { headers: session })).status).toBe(401); // the API wants the key itself
    expect((await fetch(`${url}/api/protectors/x/rotations`, { method: 'POST', headers: session })).status).toBe(401);
    expect((await fetch(`${url}/`, { headers: { cookie: 'keysteward_console=forged' } })).status).toBe(401);
    expect((await fetch(`${url}/api/protectors`, { headers: { 'x-api-key': KEY } })).status).toBe(200);
    // The static script and stylesheet carry no data: public, so the sign-in page is styled (404 here: no such route).
    expect((await fetch(`${url}/assets/console.css`)).status).toBe(404);
  });
});

describe('console behind App Service Authentication (Function App, CONSOLE_AUTH=app-service)', () => {
  it('answers 401 to a request without the identity Easy Auth sets, and serves it with one', async () => {
    const hub = { connection: 'A', name: 'a', consumerGroup: '$Default' };
    const services = { config: { consoleAuth: 'app-service', auditEventHub: hub, activityEventHub: hub }, clock: { now: () => NOW }, log: silentLogger } as unknown as Services;
    const defs = functionDefinitions(services).filter((d): d is Extract<FunctionDefinition, { trigger: HttpTrigger }> => d.trigger.type === 'http');
    expect(defs.filter((d) => d.trigger.console).map((d) => d.name)).toEqual(['dashboard', 'consoleProtector', 'consoleRotations', 'consoleRotation', 'consoleAsset', 'consoleVersion', 'consoleEvents']);
    const asset = defs.find((d) => d.name === 'consoleAsset');
    const req = (headers: Record<string, string>): HttpInput => ({ method: 'GET', params: { name: 'console.js' }, query: new URLSearchParams(), headers, rawBody: Buffer.alloc(0), path: '/api/dashboard/assets/console.js' });
    const refused = await asset?.handler(req({}));
    expect(refused?.status).toBe(401);
    // The page offers Easy Auth's sign-in, back to the same path on this site.
    expect(refused?.body).toContain('href="/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fdashboard%2Fassets%2Fconsole.js"');
    const served = await asset?.handler(req({ 'x-ms-client-principal-id': '0c0ffee0-0000-4000-8000-000000000001' }));
    expect([served?.status, served?.headers?.['content-type']]).toEqual([200, 'text/javascript; charset=utf-8']);
  });
});
