// The admin HTTP API on host localhost (for people trying the local demo): revoke, grant, firewall, audit log.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { AuditRecord, KeyVaultEmulator } from '../../../emulators/keyvault/index.js';
import { ADMIN, adminUrl, cryptoClient, devCert, keyClient, rawRequest, restError, SQL, startEmulator } from './support.js';

let cert: DevCertificate;
let kv: KeyVaultEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await kv?.close();
  kv = undefined;
});

async function post(em: KeyVaultEmulator, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await rawRequest(cert, adminUrl(em, path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: JSON.parse(res.text) as unknown };
}

async function audit(em: KeyVaultEmulator, since: number): Promise<{ records: AuditRecord[]; next: number }> {
  const res = await rawRequest(cert, adminUrl(em, `/_admin/audit?since=${since}`));
  expect(res.status).toBe(200);
  return JSON.parse(res.text) as { records: AuditRecord[]; next: number };
}

describe('admin API', () => {
  it('grant, revoke and firewall changes take effect on the next call; the audit log pages with since/next', async () => {
    const em = (kv = await startEmulator(cert, { vaults: [{ name: 'kv-a' }] }));
    expect(await post(em, '/_admin/vaults/kv-a/grant', { principalId: ADMIN.oid, permissions: 'all' })).toMatchObject({ status: 200 });
    expect(await post(em, '/_admin/vaults/kv-a/grant', { principalId: SQL.oid, permissions: ['get', 'wrapKey', 'unwrapKey'] })).toMatchObject({ status: 200 });
    const key = await keyClient(em, 'kv-a', ADMIN, cert).createRsaKey('k');
    const sql = cryptoClient(key.id ?? '', SQL, cert);
    const wrapped = (await sql.wrapKey('RSA-OAEP', randomBytes(32))).result;
    await sql.unwrapKey('RSA-OAEP', wrapped);

    const first = await audit(em, 0);
    expect(first.next).toBe(first.records.length);
    expect(first.records.length).toBe(em.auditLog().length);

    expect(await post(em, '/_admin/vaults/kv-a/revoke', { principalId: SQL.oid })).toMatchObject({ status: 200 });
    expect(await restError(sql.unwrapKey('RSA-OAEP', wrapped))).toMatchObject({ statusCode: 403 });
    const more = await audit(em, first.next);
    expect(more.records.map((r) => [r.operationName, r.properties.httpStatusCode])).toEqual([['KeyUnwrap', 403]]);
    expect(more.next).toBe(first.next + 1);

    await post(em, '/_admin/vaults/kv-a/grant', { principalId: SQL.oid, permissions: ['unwrapKey'] });
    await sql.unwrapKey('RSA-OAEP', wrapped);
    expect(await post(em, '/_admin/vaults/kv-a/network', { defaultAction: 'Deny', bypass: 'None' })).toMatchObject({ status: 200, body: { networkAcls: { defaultAction: 'Deny', bypass: 'None' } } });
    expect(await restError(sql.unwrapKey('RSA-OAEP', wrapped))).toMatchObject({ statusCode: 403, innerCode: 'ForbiddenByFirewall' });
    await post(em, '/_admin/vaults/kv-a/network', { defaultAction: 'Allow' });
    await sql.unwrapKey('RSA-OAEP', wrapped);
  });

  it('404 for an unknown vault or endpoint, 400 for a bad body', async () => {
    const em = (kv = await startEmulator(cert, { vaults: [{ name: 'kv-a' }] }));
    expect((await post(em, '/_admin/vaults/kv-zzz/revoke', { principalId: SQL.oid })).status).toBe(404);
    expect((await post(em, '/_admin/nothing', {})).status).toBe(404);
    expect((await post(em, '/_admin/vaults/kv-a/grant', { principalId: SQL.oid, permissions: ['fly'] })).status).toBe(400);
    expect((await post(em, '/_admin/vaults/kv-a/revoke', {})).status).toBe(400);
    expect((await post(em, '/_admin/vaults/kv-a/network', { defaultAction: 'Maybe' })).status).toBe(400);
    expect((await rawRequest(cert, adminUrl(em, '/_admin/audit?since=-1'))).status).toBe(400);
    // Admin calls are not vault requests: nothing is audited.
    expect(em.auditLog()).toEqual([]);
  });
});
