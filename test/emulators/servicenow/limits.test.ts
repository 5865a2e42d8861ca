// The per-user rate limit (429 with Retry-After and X-RateLimit-* headers) and injected outages (a count, then
// recovery; 503 is the HTML "instance unavailable" page; oauth_token.do is affected too).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { ServiceNowEmulator } from '../../../emulators/servicenow/index.js';
import { ADMIN, call, CLIENT, devCert, failure, KEYSTEWARD, manualClock, startSnow, T0, token } from './support.js';

let cert: DevCertificate;
let em: ServiceNowEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

describe('rate limit', () => {
  it('429 past N requests per user per rolling minute, with the headers; other users unaffected; recovers', async () => {
    const clock = manualClock();
    const e = (em = await startSnow(cert, { clock: clock.now, rateLimitPerMinute: 3 }));
    for (let i = 0; i < 3; i++) {
      expect((await call(e, 'GET', '/api/now/table/change_request')).status).toBe(200);
      clock.advance(10_000);
    }
    // Now T0+30s: the first hit (T0) leaves the window at T0+60s.
    const limited = await call(e, 'GET', '/api/now/table/change_request');
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual(failure('User Exceeded Rate Limit', 'Rate limit of 3 requests per minute exceeded'));
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String((T0 + 60_000) / 1000));

    expect((await call(e, 'GET', '/api/now/table/change_request', { user: ADMIN })).status).toBe(200);
    clock.advance(30_000);
    expect((await call(e, 'GET', '/api/now/table/change_request')).status).toBe(200);
    expect(e.requests().filter((r) => r.user === KEYSTEWARD.name).map((r) => r.status)).toEqual([200, 200, 200, 429, 200]);
  });
});

describe('outage', () => {
  it('answers the next `count` requests with a 503 HTML page, then recovers', async () => {
    const e = (em = await startSnow(cert));
    e.outage({ status: 503, count: 2 });
    const first = await call(e, 'GET', '/api/now/table/incident');
    expect(first.status).toBe(503);
    expect(first.headers.get('content-type')).toMatch(/^text\/html/);
    expect(first.text).toMatch(/Instance Unavailable/);
    expect(first.json).toBeNull();
    const second = await token(e, { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret });
    expect(second.status).toBe(503);
    expect((await call(e, 'GET', '/api/now/table/incident')).status).toBe(200);
    expect(e.requests().map((r) => [r.path, r.status])).toEqual([
      ['/api/now/table/incident', 503],
      ['/oauth_token.do', 503],
      ['/api/now/table/incident', 200],
    ]);
  });

  it('other statuses answer the JSON error body; without count it lasts until cleared; writes do not happen', async () => {
    const e = (em = await startSnow(cert));
    e.outage({ status: 500 });
    for (let i = 0; i < 3; i++) {
      const r = await call(e, 'POST', '/api/now/table/incident', { body: { short_description: 'x' } });
      expect(r.status).toBe(500);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.json).toMatchObject({ error: { message: 'Internal Server Error' }, status: 'failure' });
    }
    expect(e.records('incident')).toEqual([]);
    e.outage(null);
    expect((await call(e, 'POST', '/api/now/table/incident', { body: { short_description: 'x' } })).status).toBe(201);
    expect(() => e.outage({ status: 200 })).toThrow(/400-599/);
    expect(() => e.outage({ status: 503, count: 0 })).toThrow(/positive/);
  });
});
