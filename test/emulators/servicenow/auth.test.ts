// Basic auth, OAuth tokens from oauth_token.do (client_credentials, password, refresh_token), their expiry by the
// emulator's clock, and the request log that names users but never their credentials.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { ServiceNowEmulator } from '../../../emulators/servicenow/index.js';
import { ADMIN, call, CLIENT, devCert, failure, KEYSTEWARD, manualClock, result, startSnow, T0, token } from './support.js';

let cert: DevCertificate;
let em: ServiceNowEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

const NOT_AUTHENTICATED = failure('User is not authenticated', 'Required to provide Auth information');

describe('Basic authentication', () => {
  it('accepts a user with the right password and acts as that user', async () => {
    const e = (em = await startSnow(cert));
    const r = await call(e, 'POST', '/api/now/table/change_request', { body: { short_description: 'rotate sql-orders' } });
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(result(r)).toMatchObject({ sys_created_by: KEYSTEWARD.name, sys_updated_by: KEYSTEWARD.name });
  });

  it('401 "User Not Authenticated" with WWW-Authenticate when the header is missing', async () => {
    const e = (em = await startSnow(cert));
    const r = await call(e, 'GET', '/api/now/table/change_request', { user: null });
    expect(r.status).toBe(401);
    expect(r.json).toEqual(failure('User Not Authenticated', 'Required to provide Auth information'));
    expect(r.headers.get('www-authenticate')).toBe('BASIC realm="Service-now"');
  });

  it('401 "User is not authenticated" for a wrong password, an unknown user, a bad header or an unknown token', async () => {
    const e = (em = await startSnow(cert));
    const attempts = [
      await call(e, 'GET', '/api/now/table/incident', { user: { name: KEYSTEWARD.name, password: 'wrong' } }),
      await call(e, 'GET', '/api/now/table/incident', { user: { name: 'nobody', password: KEYSTEWARD.password } }),
      await call(e, 'GET', '/api/now/table/incident', { user: null, headers: { Authorization: 'Basic !!!' } }),
      await call(e, 'GET', '/api/now/table/incident', { bearer: 'not-a-token' }),
    ];
    for (const r of attempts) {
      expect(r.status).toBe(401);
      expect(r.json).toEqual(NOT_AUTHENTICATED);
    }
  });
});

describe('OAuth', () => {
  it('client_credentials issues a Bearer token acting as the client user', async () => {
    const e = (em = await startSnow(cert));
    const t = await token(e, { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret });
    expect(t.status).toBe(200);
    const body = t.json as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['access_token', 'scope', 'token_type', 'expires_in']);
    expect(body).toMatchObject({ scope: 'useraccount', token_type: 'Bearer', expires_in: 1799 });
    expect(body['access_token']).toMatch(/^[A-Za-z0-9_-]{40,}$/);

    const r = await call(e, 'POST', '/api/now/table/incident', { bearer: String(body['access_token']), body: { short_description: 'via oauth' } });
    expect(r.status).toBe(201);
    expect(result(r)['sys_created_by']).toBe(CLIENT.user);
  });

  it('password grant returns a refresh token; refresh_token grant issues a new access token', async () => {
    const e = (em = await startSnow(cert));
    const t = await token(e, { grant_type: 'password', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, username: ADMIN.name, password: ADMIN.password });
    expect(t.status).toBe(200);
    const body = t.json as { access_token: string; refresh_token: string };
    expect(Object.keys(body)).toEqual(['access_token', 'refresh_token', 'scope', 'token_type', 'expires_in']);
    expect(body.refresh_token).not.toBe(body.access_token);

    const refreshed = await token(e, { grant_type: 'refresh_token', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, refresh_token: body.refresh_token });
    expect(refreshed.status).toBe(200);
    const again = refreshed.json as { access_token: string };
    expect(again.access_token).not.toBe(body.access_token);
    const r = await call(e, 'POST', '/api/now/table/cmdb_ci', { bearer: again.access_token, body: { name: 'sql-orders' } });
    expect(r.status).toBe(201);
    expect(result(r)['sys_created_by']).toBe(ADMIN.name);
  });

  it('a token stops working at its expiry by the emulator clock', async () => {
    const clock = manualClock();
    const e = (em = await startSnow(cert, { clock: clock.now, tokenTtlSeconds: 60 }));
    const t = await token(e, { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret });
    expect((t.json as { expires_in: number }).expires_in).toBe(60);
    const access = (t.json as { access_token: string }).access_token;
    clock.advance(59_000);
    expect((await call(e, 'GET', '/api/now/table/incident', { bearer: access })).status).toBe(200);
    clock.advance(1_000);
    const expired = await call(e, 'GET', '/api/now/table/incident', { bearer: access });
    expect(expired.status).toBe(401);
    expect(expired.json).toEqual(NOT_AUTHENTICATED);
  });

  it('401 access_denied for a bad client, a bad secret, a bad user or an unknown grant', async () => {
    const e = (em = await startSnow(cert));
    const denied = { error_description: 'access_denied', error: 'server_error' };
    const attempts = [
      await token(e, { grant_type: 'client_credentials', client_id: 'unknown', client_secret: CLIENT.clientSecret }),
      await token(e, { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: 'wrong' }),
      await token(e, { grant_type: 'password', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, username: ADMIN.name, password: 'wrong' }),
      await token(e, { grant_type: 'password', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, username: 'ghost', password: 'x' }),
      await token(e, { grant_type: 'refresh_token', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, refresh_token: 'made-up' }),
      await token(e, { grant_type: 'authorization_code', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
    ];
    for (const r of attempts) {
      expect(r.status).toBe(401);
      expect(r.json).toEqual(denied);
    }
  });
});

describe('request log', () => {
  it('logs every API request with the user name and status, never a password, secret or token', async () => {
    const clock = manualClock();
    const e = (em = await startSnow(cert, { clock: clock.now }));
    await call(e, 'GET', '/api/now/table/change_request?sysparm_limit=1');
    clock.advance(1000);
    await call(e, 'GET', '/api/now/table/change_request', { user: { name: KEYSTEWARD.name, password: 'bad-password' } });
    const t = await token(e, { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret });
    const access = (t.json as { access_token: string }).access_token;
    await call(e, 'GET', '/api/now/table/nope', { bearer: access });
    await call(e, 'GET', '/_admin/requests', { user: null });

    expect(e.requests()).toEqual([
      { at: T0, method: 'GET', path: '/api/now/table/change_request', user: KEYSTEWARD.name, status: 200 },
      { at: T0 + 1000, method: 'GET', path: '/api/now/table/change_request', user: null, status: 401 },
      { at: T0 + 1000, method: 'POST', path: '/oauth_token.do', user: KEYSTEWARD.name, status: 200 },
      { at: T0 + 1000, method: 'GET', path: '/api/now/table/nope', user: KEYSTEWARD.name, status: 400 },
    ]);
    const text = JSON.stringify(e.requests());
    for (const secret of [KEYSTEWARD.password, 'bad-password', CLIENT.clientSecret, access]) expect(text).not.toContain(secret);
  });
});
