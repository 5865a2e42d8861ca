// Loss of access as a SQL server sees it, through the real SDK: permission revoked (RBAC and access policy),
// firewall closed (and trusted-service bypass), key disabled or expired. Each denial's audit record must be what
// ingestion expects: normaliseAuditRecord turns it into a denied key-access event with the right reason.
import { randomBytes } from 'node:crypto';
import type { CryptographyClient, KeyVaultKey } from '@azure/keyvault-keys';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KeyAccessEvent } from '../../../domain/events/keyEvent.js';
import { normaliseAuditRecord } from '../../../domain/normalise/keyVaultAudit.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { AuditRecord, EmulatedVault, KeyVaultEmulator } from '../../../emulators/keyvault/index.js';
import { ADMIN, cryptoClient, devCert, keyClient, restError, SQL, startEmulator } from './support.js';

let cert: DevCertificate;
let kv: KeyVaultEmulator | undefined;
let now = Date.now();

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await kv?.close();
  kv = undefined;
});

interface Setup {
  readonly em: KeyVaultEmulator;
  readonly key: KeyVaultKey;
  readonly version: string;
  readonly sql: CryptographyClient;
  readonly wrapped: Uint8Array;
}

/** A protector key, the SQL identity with get/wrap/unwrap, and a DEK it wrapped while it still could. */
async function setup(vault: EmulatedVault = { name: 'kv-cmk-prod-eus' }): Promise<Setup> {
  now = Date.now();
  const em = await startEmulator(cert, { vaults: [vault], clock: () => now });
  kv = em;
  em.grant(vault.name, ADMIN.oid, 'all');
  em.grant(vault.name, SQL.oid, ['get', 'wrapKey', 'unwrapKey']);
  const key = await keyClient(em, vault.name, ADMIN, cert).createRsaKey('sql-tde-protector', { keyOps: ['wrapKey', 'unwrapKey'] });
  const sql = cryptoClient(key.id ?? '', SQL, cert);
  const wrapped = (await sql.wrapKey('RSA-OAEP', randomBytes(32))).result;
  await sql.unwrapKey('RSA-OAEP', wrapped);
  return { em, key, version: key.properties.version ?? '', sql, wrapped };
}

function lastUnwrap(em: KeyVaultEmulator): AuditRecord {
  const rec = em.auditLog().filter((r) => r.operationName === 'KeyUnwrap').at(-1);
  if (!rec) throw new Error('no KeyUnwrap record');
  return rec;
}

function denial(rec: AuditRecord): KeyAccessEvent {
  const result = normaliseAuditRecord(JSON.parse(JSON.stringify(rec)));
  if (result.status !== 'ok') throw new Error(`not normalised: ${result.reason}`);
  const [event] = result.events;
  if (event?.kind !== 'key-access') throw new Error(`unexpected event ${event?.kind}`);
  return event;
}

describe('permission revoked', () => {
  it('RBAC vault: unwrap → 403 Forbidden; the KeyUnwrap record is a denial of the SQL identity, reason rbac', async () => {
    const s = await setup();
    s.em.revoke('kv-cmk-prod-eus', SQL.oid);
    const err = await restError(s.sql.unwrapKey('RSA-OAEP', s.wrapped));
    expect(err).toMatchObject({ statusCode: 403, code: 'Forbidden', innerCode: 'ForbiddenByRbac' });
    expect(err.message).toMatch(/^Caller is not authorized to perform action on resource\.\r\n/);

    const rec = lastUnwrap(s.em);
    expect(rec).toMatchObject({ resultType: 'Success', resultSignature: 'Forbidden', properties: { httpStatusCode: 403, isRbacAuthorized: false } });
    expect(rec.resultDescription).toBe(
      [
        'Caller is not authorized to perform action on resource.',
        'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
        `Caller: appid=${SQL.appid};oid=${SQL.oid};iss=https://sts.windows.net/${SQL.tenantId}/`,
        "Action: 'Microsoft.KeyVault/vaults/keys/unwrap/action'",
        "Resource: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-keysteward-local/providers/microsoft.keyvault/vaults/kv-cmk-prod-eus/keys/sql-tde-protector'",
        'Assignment: (not found)',
        'DenyAssignmentId: null',
        'DecisionReason: null ',
        'Vault: kv-cmk-prod-eus;location=eastus',
      ].join('\n'),
    );
    expect(rec.identity?.claim).toEqual({ oid: SQL.oid, appid: SQL.appid, idtyp: 'app', xms_mirid: SQL.mirid, xms_az_nwperimid: [] });
    expect(rec.properties).not.toHaveProperty('keyProperties');

    expect(denial(rec)).toMatchObject({
      kind: 'key-access',
      outcome: 'denied',
      denial: 'rbac',
      status: 403,
      key: { vault: 'kv-cmk-prod-eus', key: 'sql-tde-protector', version: s.version },
      identity: { oid: SQL.oid, mirid: SQL.mirid?.toLowerCase() },
    });
  });

  it('access-policy vault: 403 AccessDenied with the access-policy text, reason access_policy', async () => {
    const s = await setup({ name: 'kv-ap', rbac: false, region: 'westus' });
    s.em.revoke('kv-ap', SQL.oid, ['unwrapKey']);
    const err = await restError(s.sql.unwrapKey('RSA-OAEP', s.wrapped));
    expect(err).toMatchObject({ statusCode: 403, code: 'Forbidden', innerCode: 'AccessDenied' });
    expect(err.message).toBe(
      `The user, group or application 'appid=${SQL.appid};oid=${SQL.oid};numgroups=0;iss=https://sts.windows.net/${SQL.tenantId}/' does not have keys unwrapKey permission on key vault 'kv-ap;location=westus'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
    );
    const rec = lastUnwrap(s.em);
    expect(rec.properties).toMatchObject({ httpStatusCode: 403, isAccessPolicyMatch: false });
    expect(rec.properties).not.toHaveProperty('isRbacAuthorized');
    expect(denial(rec)).toMatchObject({ outcome: 'denied', denial: 'access_policy' });
    // Successful calls on an access-policy vault say isAccessPolicyMatch: true.
    expect(s.em.auditLog().find((r) => r.operationName === 'KeyUnwrap')?.properties).toMatchObject({ httpStatusCode: 200, isAccessPolicyMatch: true });
  });

  it('a grant restores access (the emulator applies changes at once; Azure RBAC takes up to 10 minutes)', async () => {
    const s = await setup();
    s.em.revoke('kv-cmk-prod-eus', SQL.oid);
    await restError(s.sql.unwrapKey('RSA-OAEP', s.wrapped));
    s.em.grant('kv-cmk-prod-eus', SQL.oid, ['unwrapKey']);
    await s.sql.unwrapKey('RSA-OAEP', s.wrapped);
    expect(denial(lastUnwrap(s.em))).toMatchObject({ outcome: 'success', status: 200 });
  });
});

describe('firewall', () => {
  it('Deny refuses a caller that is not a trusted service; a trusted service passes only with bypass AzureServices', async () => {
    const s = await setup();
    s.em.setNetworkAcls('kv-cmk-prod-eus', { defaultAction: 'Deny', bypass: 'AzureServices' });
    const err = await restError(s.sql.unwrapKey('RSA-OAEP', s.wrapped));
    expect(err).toMatchObject({ statusCode: 403, code: 'Forbidden', innerCode: 'ForbiddenByFirewall' });
    expect(err.message.split('\r\n')).toEqual([
      'Client address is not authorized and caller is not a trusted service.',
      'Client address: 127.0.0.1',
      `Caller: appid=${SQL.appid};oid=${SQL.oid};iss=https://sts.windows.net/${SQL.tenantId}/`,
      'Vault: kv-cmk-prod-eus;location=eastus',
    ]);
    expect(denial(lastUnwrap(s.em))).toMatchObject({ outcome: 'denied', denial: 'firewall' });

    s.em.setTrustedService(SQL.oid, 'Microsoft.Sql');
    await s.sql.unwrapKey('RSA-OAEP', s.wrapped);
    expect(lastUnwrap(s.em).properties).toMatchObject({ httpStatusCode: 200, isRbacAuthorized: true, trustedService: 'Microsoft.Sql' });

    s.em.setNetworkAcls('kv-cmk-prod-eus', { defaultAction: 'Deny', bypass: 'None' });
    expect(await restError(s.sql.unwrapKey('RSA-OAEP', s.wrapped))).toMatchObject({ statusCode: 403, innerCode: 'ForbiddenByFirewall' });

    s.em.setNetworkAcls('kv-cmk-prod-eus', null);
    await s.sql.unwrapKey('RSA-OAEP', s.wrapped);
    expect(lastUnwrap(s.em).properties).not.toHaveProperty('trustedService');
  });
});

describe('key state', () => {
  it('disabled key: unwrap → 403 KeyDisabled, reason disabled; reading the key still works', async () => {
    const s = await setup();
    await keyClient(s.em, 'kv-cmk-prod-eus', ADMIN, cert).updateKeyProperties('sql-tde-protector', s.version, { enabled: false });
    const err = await restError(s.sql.unwrapKey('RSA-OAEP', s.wrapped));
    expect(err).toMatchObject({ statusCode: 403, code: 'Forbidden', innerCode: 'KeyDisabled', message: 'Operation unwrapKey is not allowed on a disabled key.' });
    const rec = lastUnwrap(s.em);
    expect(rec.properties.keyProperties?.attributes.enabled).toBe(false);
    expect(denial(rec)).toMatchObject({ outcome: 'denied', denial: 'disabled' });
    const update = s.em.auditLog().find((r) => r.operationName === 'KeyUpdate' && r.properties.httpStatusCode === 200);
    const changed = normaliseAuditRecord(JSON.parse(JSON.stringify(update)));
    expect(changed).toMatchObject({ status: 'ok', events: [{ kind: 'key-attributes-changed', enabled: false, key: { version: s.version } }] });
    expect((await keyClient(s.em, 'kv-cmk-prod-eus', SQL, cert).getKey('sql-tde-protector')).properties.enabled).toBe(false);
  });

  it('expired key: wrap in the vault is refused (reason expired), unwrap still works', async () => {
    const s = await setup();
    const exp = new Date(now + 60_000);
    await keyClient(s.em, 'kv-cmk-prod-eus', ADMIN, cert).updateKeyProperties('sql-tde-protector', s.version, { expiresOn: exp });
    now += 120_000;
    // s.key was read before the expiry was set, so the SDK's own expiry check passes and RSA-OAEP-256 goes to the vault.
    const stale = cryptoClient(s.key, SQL, cert);
    const err = await restError(stale.wrapKey('RSA-OAEP-256', randomBytes(32)));
    expect(err).toMatchObject({ statusCode: 403, code: 'Forbidden', innerCode: 'KeyExpired', message: 'Operation wrapKey is not allowed on an expired key.' });
    const rec = s.em.auditLog().filter((r) => r.operationName === 'KeyWrap').at(-1);
    expect(rec && denial(rec)).toMatchObject({ outcome: 'denied', denial: 'expired' });
    await s.sql.unwrapKey('RSA-OAEP', s.wrapped);
  });

  it('deleted key: unwrap → 404 KeyNotFound, reason not_found', async () => {
    const s = await setup();
    await (await keyClient(s.em, 'kv-cmk-prod-eus', ADMIN, cert).beginDeleteKey('sql-tde-protector', { intervalInMs: 10 })).pollUntilDone();
    expect(await restError(s.sql.unwrapKey('RSA-OAEP', s.wrapped))).toMatchObject({ statusCode: 404, code: 'KeyNotFound' });
    const rec = lastUnwrap(s.em);
    expect(rec).toMatchObject({ resultType: 'Success', resultSignature: 'Not Found' });
    expect(denial(rec)).toMatchObject({ outcome: 'denied', denial: 'not_found' });
  });
});
