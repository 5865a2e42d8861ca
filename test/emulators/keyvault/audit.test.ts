// The emulator's audit records against the real AuditEvent schema (azure-formats.md §1): field order and types,
// and that ingestion (normaliseAuditRecord) reads them as it reads Azure's. No key material, wrapped or unwrapped
// value or token may appear in them.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { normaliseAuditRecord } from '../../../domain/normalise/keyVaultAudit.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { AuditRecord, KeyVaultEmulator } from '../../../emulators/keyvault/index.js';
import { LocalEmulatorCredential } from '../../../adapters/azure/localCredential.js';
import { ADMIN, cryptoClient, devCert, keyClient, restError, rsaJwk, SQL, startEmulator } from './support.js';

let cert: DevCertificate;
let kv: KeyVaultEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await kv?.close();
  kv = undefined;
});

const RECORD_FIELDS = ['time', 'category', 'operationName', 'resultType', 'correlationId', 'callerIpAddress', 'identity', 'properties', 'resourceId', 'operationVersion', 'resultSignature', 'durationMs'];
const FAILED_RECORD_FIELDS = ['time', 'category', 'operationName', 'resultType', 'resultDescription', 'correlationId', 'callerIpAddress', 'identity', 'properties', 'resourceId', 'operationVersion', 'resultSignature', 'durationMs'];
const ARM_ID = '/subscriptions/3c5e9a71-2b84-4f06-9d13-6a7b8c9d0e1f/resourceGroups/rg-data-prod/providers/Microsoft.KeyVault/vaults/kv-cmk-prod-eus';

function ok(em: KeyVaultEmulator, op: string): AuditRecord {
  const rec = em.auditLog().find((r) => r.operationName === op && r.properties.httpStatusCode < 300);
  if (!rec) throw new Error(`no successful ${op}`);
  return rec;
}

describe('record shape', () => {
  it('writes the fields in Azure order with Azure types; resourceId upper-cased; onAudit sees each record synchronously', async () => {
    const seen: AuditRecord[] = [];
    kv = await startEmulator(cert, { vaults: [{ name: 'kv-cmk-prod-eus', resourceId: ARM_ID, region: 'eastus' }], onAudit: (r) => seen.push(r) });
    kv.grant('kv-cmk-prod-eus', ADMIN.oid, 'all');
    const exp = new Date(Date.UTC(2027, 2, 1));
    const created = await keyClient(kv, 'kv-cmk-prod-eus', ADMIN, cert).createRsaKey('sql-tde-protector', { keySize: 3072, hsm: true, keyOps: ['wrapKey', 'unwrapKey'], expiresOn: exp });
    expect(seen).toEqual(kv.auditLog());
    expect(seen).toHaveLength(2);

    const rec = ok(kv, 'KeyCreate');
    expect(Object.keys(rec)).toEqual(RECORD_FIELDS);
    expect(rec.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
    expect(rec).toMatchObject({ category: 'AuditEvent', resultType: 'Success', resultSignature: 'OK', operationVersion: '2025-07-01', callerIpAddress: '127.0.0.1' });
    expect(rec.durationMs).toMatch(/^\d+$/);
    expect(rec.resourceId).toBe(ARM_ID.toUpperCase());
    expect(rec.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(rec.properties)).toEqual(['id', 'clientInfo', 'httpStatusCode', 'requestUri', 'isRbacAuthorized', 'appliedAssignmentId', 'keyProperties', 'tlsVersion']);
    expect(rec.properties).toMatchObject({ id: created.id, httpStatusCode: 200, isRbacAuthorized: true, tlsVersion: expect.stringMatching(/^TLS1_[23]$/) });
    expect(rec.properties.clientInfo).toMatch(/azsdk-js-keyvault-keys\/4\.10\.\d/);
    expect(rec.properties.requestUri).toBe(`${kv.vaultUrl('kv-cmk-prod-eus')}keys/sql-tde-protector/create?api%2Dversion=2025-07-01`);
    expect(rec.properties.appliedAssignmentId).toMatch(/^[0-9a-f]{32}$/);
    expect(rec.properties.keyProperties).toEqual({
      type: 'RSA-HSM',
      size: 3072,
      operations: ['wrapKey', 'unwrapKey'],
      attributes: { enabled: true, exp: exp.getTime() / 1000, hsmPlatform: '2' },
    });
  });

  it('a failed call carries resultDescription after resultType, and the reason phrase as resultSignature', async () => {
    kv = await startEmulator(cert, { vaults: [{ name: 'kv-a' }] });
    kv.grant('kv-a', ADMIN.oid, 'all');
    await restError(keyClient(kv, 'kv-a', ADMIN, cert).getKey('absent'));
    const rec = kv.auditLog().at(-1);
    expect(Object.keys(rec ?? {})).toEqual(FAILED_RECORD_FIELDS);
    expect(rec).toMatchObject({ resultType: 'Success', resultSignature: 'Not Found', properties: { id: `${kv.vaultUrl('kv-a')}keys/absent`, httpStatusCode: 404, isRbacAuthorized: true } });
    expect(rec?.resultDescription).toMatch(/^A key with \(name\/id\) absent was not found in this key vault\./);
    // Default ARM id when the vault was configured without one.
    expect(rec?.resourceId).toBe('/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG-KEYSTEWARD-LOCAL/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-A');
    expect(normaliseAuditRecord(rec)).toMatchObject({ status: 'ok', events: [{ kind: 'key-access', outcome: 'denied', denial: 'not_found', status: 404 }] });
  });
});

describe('ingestion reads the records', () => {
  it('create, import, rotate → key-version-created; update → key-attributes-changed; delete/recover → lifecycle events', async () => {
    kv = await startEmulator(cert, { vaults: [{ name: 'kv-a' }] });
    kv.grant('kv-a', ADMIN.oid, 'all');
    const client = keyClient(kv, 'kv-a', ADMIN, cert);
    const exp = new Date(Date.UTC(2028, 0, 1));
    const created = await client.createRsaKey('k', { expiresOn: exp });
    const imported = await client.importKey('k', rsaJwk());
    const rotated = await client.rotateKey('k');
    await client.updateKeyProperties('k', rotated.properties.version ?? '', { enabled: false });
    await (await client.beginDeleteKey('k', { intervalInMs: 10 })).pollUntilDone();
    await (await client.beginRecoverDeletedKey('k', { intervalInMs: 10 })).pollUntilDone();

    const events = kv
      .auditLog()
      .filter((r) => r.properties.httpStatusCode < 300)
      .map((r) => normaliseAuditRecord(JSON.parse(JSON.stringify(r))))
      .flatMap((r) => (r.status === 'ok' ? r.events : []));
    const v = (k: { properties: { version?: string } }): string => k.properties.version ?? '';
    expect(events.map((e) => [e.kind, 'key' in e ? e.key : null])).toEqual([
      ['key-version-created', { vault: 'kv-a', key: 'k', version: v(created) }],
      ['key-version-created', { vault: 'kv-a', key: 'k', version: v(imported) }],
      ['key-version-created', { vault: 'kv-a', key: 'k', version: v(rotated) }],
      ['key-attributes-changed', { vault: 'kv-a', key: 'k', version: v(rotated) }],
      ['key-deleted', { vault: 'kv-a', key: 'k' }],
      ['key-recovered', { vault: 'kv-a', key: 'k' }],
      // The recover poller reads the key back until it is there again.
      ['key-access', { vault: 'kv-a', key: 'k', version: v(rotated) }],
    ]);
    expect(events[0]).toMatchObject({ exp: exp.getTime() });
  });
});

describe('no secrets', () => {
  it('audit records and error messages hold no key material, wrapped or unwrapped value, or token', async () => {
    kv = await startEmulator(cert, { vaults: [{ name: 'kv-a' }] });
    kv.grant('kv-a', ADMIN.oid, 'all');
    kv.grant('kv-a', SQL.oid, ['get', 'wrapKey', 'unwrapKey']);
    const jwk = rsaJwk();
    const key = await keyClient(kv, 'kv-a', ADMIN, cert).importKey('secret-kek', jwk);
    const sql = cryptoClient(key.id ?? '', SQL, cert);
    const dek = randomBytes(32);
    const wrapped = (await sql.wrapKey('RSA-OAEP-256', dek)).result;
    const unwrapped = (await sql.unwrapKey('RSA-OAEP-256', wrapped)).result;
    const blob = (await keyClient(kv, 'kv-a', ADMIN, cert).backupKey('secret-kek')) ?? new Uint8Array();
    kv.revoke('kv-a', SQL.oid);
    const denied = await restError(sql.unwrapKey('RSA-OAEP-256', wrapped));
    const token = (await new LocalEmulatorCredential(SQL).getToken('https://vault.localhost/.default')).token;

    const text = JSON.stringify(kv.auditLog()) + denied.message;
    const b64 = (v: Uint8Array | undefined): string => Buffer.from(v ?? []).toString('base64url');
    for (const secret of [b64(jwk.d), b64(jwk.p), b64(jwk.q), b64(wrapped), b64(unwrapped), dek.toString('base64'), b64(blob).slice(0, 64), token.split('.')[1] ?? 'x']) {
      expect(secret.length).toBeGreaterThan(20);
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/bearer\s+[A-Za-z0-9_-]{10,}/i);
  });
});
