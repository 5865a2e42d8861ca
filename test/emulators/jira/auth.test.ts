// Basic auth with email + API token, GET myself, the request log, the per-user rate limit and the outage switch.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { JiraEmulator } from '../../../emulators/jira/index.js';
import { call, devCert, KEYSTEWARD, manualClock, OPERATOR, startJira, T0 } from './support.js';

let cert: DevCertificate;
let em: JiraEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

const UNAUTHENTICATED = { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} };

describe('authentication', () => {
  it('GET myself answers the authenticated account', async () => {
    em = await startJira(cert);
    const r = await call(em, 'GET', '/rest/api/3/myself');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.json).toMatchObject({ accountId: KEYSTEWARD.accountId, emailAddress: KEYSTEWARD.email, displayName: 'keysteward automation', active: true, timeZone: 'UTC' });
    expect(r.headers.get('x-aaccountid')).toBe(KEYSTEWARD.accountId);

    // Defaults: a stable derived accountId and the email's local part as display name; the email matches case-insensitively.
    const other = await call(em, 'GET', '/rest/api/3/myself', { user: { email: OPERATOR.email.toUpperCase(), apiToken: OPERATOR.apiToken } });
    expect(other.status).toBe(200);
    const me = other.json as { accountId: string; displayName: string; emailAddress: string };
    expect(me.accountId).toMatch(/^[0-9a-f]{24}$/);
    expect(me.displayName).toBe('ops.lead');
    expect(me.emailAddress).toBe(OPERATOR.email);
  });

  it('401 with WWW-Authenticate for a missing header, a wrong token, an unknown email or another scheme', async () => {
    em = await startJira(cert);
    const attempts = [
      await call(em, 'GET', '/rest/api/3/myself', { user: null }),
      await call(em, 'GET', '/rest/api/3/myself', { user: { email: KEYSTEWARD.email, apiToken: 'wrong' } }),
      await call(em, 'GET', '/rest/api/3/myself', { user: { email: 'nobody@contoso.example', apiToken: KEYSTEWARD.apiToken } }),
      await call(em, 'GET', '/rest/api/3/issue/CHG-1', { user: null, headers: { Authorization: 'Bearer abc' } }),
    ];
    for (const r of attempts) {
      expect(r.status).toBe(401);
      expect(r.json).toEqual(UNAUTHENTICATED);
      expect(r.headers.get('www-authenticate')).toBe('Basic realm="protected-area"');
    }
  });

  it('logs every request with the email and status, never the token', async () => {
    const clock = manualClock();
    em = await startJira(cert, { clock: clock.now });
    await call(em, 'GET', '/rest/api/3/myself');
    clock.advance(1000);
    await call(em, 'GET', '/rest/api/3/issue/OPS-9?fields=summary', { user: { email: KEYSTEWARD.email, apiToken: 'bad-token' } });
    await call(em, 'GET', '/rest/api/3/issue/OPS-9', { user: OPERATOR });
    expect(em.requests()).toEqual([
      { at: T0, method: 'GET', path: '/rest/api/3/myself', user: KEYSTEWARD.email, status: 200 },
      { at: T0 + 1000, method: 'GET', path: '/rest/api/3/issue/OPS-9', user: null, status: 401 },
      { at: T0 + 1000, method: 'GET', path: '/rest/api/3/issue/OPS-9', user: OPERATOR.email, status: 404 },
    ]);
    expect(JSON.stringify(em.requests())).not.toContain('token');
  });

  it('404 for a path outside the subset, 405 for a method a path does not take', async () => {
    em = await startJira(cert);
    const missing = await call(em, 'GET', '/rest/api/3/project');
    expect(missing.status).toBe(404);
    expect((missing.json as { errorMessages: string[] }).errorMessages[0]).toContain('/rest/api/3/project');
    const wrong = await call(em, 'DELETE', '/rest/api/3/myself');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });
});

describe('rate limit', () => {
  it('429 with Retry-After and X-RateLimit-* past the per-user quota of a rolling minute; other users unaffected', async () => {
    const clock = manualClock();
    em = await startJira(cert, { clock: clock.now, rateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) {
      expect((await call(em, 'GET', '/rest/api/3/myself')).status).toBe(200);
      clock.advance(10_000);
    }
    // 30 s after the first request: the window still holds 3.
    const limited = await call(em, 'GET', '/rest/api/3/myself');
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ errorMessages: ['Rate limit exceeded.'], errors: {} });
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe(new Date(T0 + 60_000).toISOString());

    expect((await call(em, 'GET', '/rest/api/3/myself', { user: OPERATOR })).status).toBe(200);

    // Once the first request leaves the window, one more fits.
    clock.advance(30_000);
    expect((await call(em, 'GET', '/rest/api/3/myself')).status).toBe(200);
    expect((await call(em, 'GET', '/rest/api/3/myself')).status).toBe(429);
    expect(em.requests().filter((r) => r.status === 429)).toHaveLength(2);
  });
});

describe('outage', () => {
  it('answers the injected status for `count` requests (503 as an HTML page), then recovers', async () => {
    em = await startJira(cert);
    em.outage({ status: 503, count: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await call(em, 'GET', '/rest/api/3/myself');
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
      expect(r.text).toContain('Service unavailable');
    }
    expect((await call(em, 'GET', '/rest/api/3/myself')).status).toBe(200);
  });

  it('without a count lasts until cleared; other statuses answer a JSON errorMessages body', async () => {
    em = await startJira(cert);
    em.outage({ status: 500 });
    for (let i = 0; i < 3; i++) {
      const r = await call(em, 'GET', '/rest/api/3/myself');
      expect(r.status).toBe(500);
      expect(r.json).toMatchObject({ errorMessages: [expect.any(String)], errors: {} });
    }
    em.outage(null);
    expect((await call(em, 'GET', '/rest/api/3/myself')).status).toBe(200);
    expect(em.requests().map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect(() => em?.outage({ status: 200 })).toThrow(/400-599/);
  });
});
