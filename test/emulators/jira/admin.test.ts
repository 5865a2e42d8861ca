// The admin HTTP API under /_admin: unauthenticated, JSON, errors as {"error"}.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { EmulatedIssue, JiraEmulator } from '../../../emulators/jira/index.js';
import { adf, call, CORRELATION, devCert, PROTECTOR, startJira } from './support.js';

let cert: DevCertificate;
let em: JiraEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await em?.close();
  em = undefined;
});

async function admin(e: JiraEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await call(e, method, path, { user: null, ...(body === undefined ? {} : { body }) });
  return { status: r.status, json: r.json };
}

describe('admin API', () => {
  it('creates, patches, reads issues and records decisions', async () => {
    const e = (em = await startJira(cert));
    const created = await admin(e, 'POST', '/_admin/issues', { project: 'CHG', summary: 'rotate sql-orders', labels: ['keysteward'], fields: { [PROTECTOR]: 'sql-orders' }, approvals: [{ name: 'CAB' }] });
    expect(created).toEqual({ status: 201, json: { id: '10000', key: 'CHG-1' } });

    const patched = await admin(e, 'PATCH', '/_admin/issues/CHG-1', { status: 'Awaiting approval', fields: { [CORRELATION]: 'c-1' } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ key: 'CHG-1', status: 'Awaiting approval', fields: { [PROTECTOR]: { value: 'sql-orders' }, [CORRELATION]: 'c-1' } });

    const decided = await admin(e, 'POST', '/_admin/issues/CHG-1/decide', { decision: 'approved' });
    expect(decided.status).toBe(200);
    expect((decided.json as EmulatedIssue).approvals).toEqual([{ id: '1', name: 'CAB', decision: 'approved' }]);

    await call(e, 'POST', '/rest/api/3/issue/CHG-1/comment', { body: { body: adf('noted') } });
    expect((await admin(e, 'GET', '/_admin/issues/CHG-1/comments')).json).toMatchObject([{ text: 'noted' }]);
    expect((await admin(e, 'GET', '/_admin/issues/CHG-1')).json).toMatchObject({ key: 'CHG-1', comments: [{ text: 'noted' }] });
    expect((await admin(e, 'GET', '/_admin/issues')).json).toHaveLength(1);
    expect(e.issue('CHG-1')?.status).toBe('Awaiting approval');
  });

  it('outage on and off, requests and deliveries logs', async () => {
    const e = (em = await startJira(cert));
    expect((await admin(e, 'POST', '/_admin/outage', { status: 503, count: 1 })).status).toBe(204);
    expect((await call(e, 'GET', '/rest/api/3/myself')).status).toBe(503);
    expect((await call(e, 'GET', '/rest/api/3/myself')).status).toBe(200);
    await admin(e, 'POST', '/_admin/outage', { status: 502 });
    expect((await call(e, 'GET', '/rest/api/3/myself')).status).toBe(502);
    expect((await admin(e, 'POST', '/_admin/outage', {})).status).toBe(204);
    expect((await call(e, 'GET', '/rest/api/3/myself')).status).toBe(200);
    const log = (await admin(e, 'GET', '/_admin/requests')).json as Array<{ status: number; path: string }>;
    expect(log.map((r) => r.status)).toEqual([503, 200, 502, 200]);
    expect(log.every((r) => r.path === '/rest/api/3/myself')).toBe(true);
    expect((await admin(e, 'GET', '/_admin/deliveries')).json).toEqual([]);
  });

  it('errors: 404 unknown issue or route, 400 bad input, 405 wrong method', async () => {
    const e = (em = await startJira(cert));
    expect(await admin(e, 'GET', '/_admin/issues/CHG-9')).toEqual({ status: 404, json: { error: 'unknown issue CHG-9' } });
    expect((await admin(e, 'GET', '/_admin/nothing')).status).toBe(404);
    expect(await admin(e, 'POST', '/_admin/issues', { project: 'NOPE', summary: 'x' })).toEqual({ status: 400, json: { error: 'unknown project NOPE' } });
    expect((await admin(e, 'POST', '/_admin/issues', { project: 'CHG' })).status).toBe(400);
    expect((await admin(e, 'POST', '/_admin/issues', { project: 'CHG', summary: 'x', fields: { customfield_99999: 'x' } })).json).toEqual({
      error: "customfield_99999: Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown.",
    });
    e.createIssue({ project: 'CHG', summary: 'x' });
    expect((await admin(e, 'POST', '/_admin/issues/CHG-1/decide', { decision: 'maybe' })).status).toBe(400);
    expect(await admin(e, 'POST', '/_admin/issues/CHG-1/decide', { decision: 'approved' })).toEqual({ status: 400, json: { error: 'issue CHG-1 has no approvals' } });
    expect((await admin(e, 'PATCH', '/_admin/issues/CHG-1', { status: 'Nope' })).status).toBe(400);
    expect((await admin(e, 'POST', '/_admin/outage', { status: 'down' })).status).toBe(400);
    expect((await admin(e, 'DELETE', '/_admin/issues')).status).toBe(405);
    expect((await admin(e, 'POST', '/_admin/webhooks/fire', { url: 'http://127.0.0.1:1/', secret: 's', issueKey: 'CHG-9' })).status).toBe(404);
    expect((await admin(e, 'POST', '/_admin/webhooks/fire', { url: 'http://127.0.0.1:1/' })).status).toBe(400);
    // Admin calls are not REST calls: not in the request log.
    expect(e.requests()).toEqual([]);
  });
});
