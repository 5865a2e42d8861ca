// The key lifecycle through the real KeyClient: create, import, get, list versions (paged), update, rotate, rotation
// policy, backup/restore, delete/recover/purge, and the refusals around them.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DevCertificate } from '../../../emulators/certs.js';
import type { EmulatedVault, KeyVaultEmulator } from '../../../emulators/keyvault/index.js';
import { ADMIN, devCert, keyClient, restError, rsaJwk, startEmulator } from './support.js';

let cert: DevCertificate;
let kv: KeyVaultEmulator | undefined;

beforeAll(async () => {
  cert = await devCert();
});

afterEach(async () => {
  await kv?.close();
  kv = undefined;
});

async function start(vaults: EmulatedVault[] = [{ name: 'kv-a' }, { name: 'kv-b' }]): Promise<KeyVaultEmulator> {
  kv = await startEmulator(cert, { vaults });
  for (const v of vaults) kv.grant(v.name, ADMIN.oid, 'all');
  return kv;
}

describe('create, get, list, update', () => {
  it('creates RSA and RSA-HSM keys of the asked size with 32-hex versions and epoch-second times', async () => {
    const client = keyClient(await start(), 'kv-a', ADMIN, cert);
    const exp = new Date(Date.UTC(2030, 0, 1));
    const soft = await client.createRsaKey('protector', { keySize: 3072, keyOps: ['wrapKey', 'unwrapKey'], expiresOn: exp, tags: { owner: 'dba' } });
    expect(soft.keyType).toBe('RSA');
    expect(soft.key?.n?.length).toBe(384);
    expect(soft.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(soft.keyOperations).toEqual(['wrapKey', 'unwrapKey']);
    expect(soft.properties.expiresOn?.getTime()).toBe(exp.getTime());
    expect(soft.properties.tags).toEqual({ owner: 'dba' });
    expect(soft.properties.recoveryLevel).toBe('Recoverable');
    // Key Vault times are epoch seconds.
    expect((soft.properties.createdOn?.getTime() ?? 1) % 1000).toBe(0);

    const hsm = await client.createRsaKey('hsm-protector', { hsm: true });
    expect(hsm.keyType).toBe('RSA-HSM');
    expect(hsm.key?.n?.length).toBe(256);
    expect(hsm.properties.hsmPlatform).toBe('2');
  });

  it('refuses EC keys and unsupported sizes with 400 BadParameter', async () => {
    const client = keyClient(await start(), 'kv-a', ADMIN, cert);
    expect(await restError(client.createEcKey('ec'))).toMatchObject({ statusCode: 400, code: 'BadParameter' });
    expect(await restError(client.createRsaKey('small', { keySize: 1024 }))).toMatchObject({ statusCode: 400, code: 'BadParameter' });
  });

  it('gets the latest or a given version, 404 KeyNotFound for an absent key or version', async () => {
    const client = keyClient(await start(), 'kv-a', ADMIN, cert);
    const v1 = await client.createRsaKey('k');
    const v2 = await client.createRsaKey('k');
    expect((await client.getKey('k')).properties.version).toBe(v2.properties.version);
    expect((await client.getKey('K', { version: v1.properties.version ?? '' })).id).toBe(v1.id);
    const missing = await restError(client.getKey('absent'));
    expect(missing).toMatchObject({ statusCode: 404, code: 'KeyNotFound' });
    expect(missing.message).toMatch(/^A key with \(name\/id\) absent was not found in this key vault\./);
    expect(await restError(client.getKey('k', { version: '0'.repeat(32) }))).toMatchObject({ statusCode: 404, code: 'KeyNotFound' });
  });

  it('lists every version across pages (nextLink)', async () => {
    const client = keyClient(await start(), 'kv-a', ADMIN, cert);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await client.createRsaKey('paged')).properties.version ?? '');
    const pages: number[] = [];
    for await (const page of client.listPropertiesOfKeyVersions('paged').byPage({ maxPageSize: 2 })) pages.push(page.length);
    expect(pages).toEqual([2, 2, 1]);
    const listed: string[] = [];
    for await (const p of client.listPropertiesOfKeyVersions('paged')) listed.push(p.version ?? '');
    expect(listed).toEqual(made);
    const names: string[] = [];
    for await (const p of client.listPropertiesOfKeys()) names.push(p.name);
    expect(names).toEqual(['paged']);
  });

  it('updates enabled, expiry and tags of one version', async () => {
    const client = keyClient(await start(), 'kv-a', ADMIN, cert);
    const k = await client.createRsaKey('k', { tags: { a: '1' } });
    const version = k.properties.version ?? '';
    const exp = new Date(Date.UTC(2031, 5, 1));
    const updated = await client.updateKeyProperties('k', version, { enabled: false, expiresOn: exp, tags: { rotation: 'r-1' } });
    expect(updated.properties).toMatchObject({ enabled: false, tags: { rotation: 'r-1' } });
    expect(updated.properties.expiresOn?.getTime()).toBe(exp.getTime());
    // A disabled key can still be read.
    expect((await client.getKey('k')).properties.enabled).toBe(false);
  });
});

describe('import, rotate, rotation policy', () => {
  it('import on an existing name adds a version holding the same public material', async () => {
    const client = keyClient(await start(), 'kv-a', ADMIN, cert);
    const jwk = rsaJwk();
    const first = await client.importKey('imported', jwk, { hardwareProtected: true });
    expect(first.keyType).toBe('RSA-HSM');
    expect(Buffer.from(first.key?.n ?? []).equals(Buffer.from(jwk.n ?? []))).toBe(true);
    expect(first.key?.d).toBeUndefined();
    const second = await client.importKey('imported', jwk);
    expect(second.properties.version).not.toBe(first.properties.version);
    expect(second.keyType).toBe('RSA');
    const { d: _private, ...publicOnly } = jwk;
    expect(await restError(client.importKey('bad', publicOnly))).toMatchObject({ statusCode: 400, code: 'BadParameter' });
  });

  it('rotate makes a new version of the same type and size, with expiry from the rotation policy', async () => {
    const client = keyClient(await start(), 'kv-a', ADMIN, cert);
    const v1 = await client.createRsaKey('rot', { keySize: 3072, hsm: true, keyOps: ['wrapKey', 'unwrapKey'], tags: { rotation: 'r-0' } });
    const defaultPolicy = await client.getKeyRotationPolicy('rot');
    expect(defaultPolicy.lifetimeActions).toEqual([{ action: 'Notify', timeBeforeExpiry: 'P30D', timeAfterCreate: undefined }]);
    const policy = await client.updateKeyRotationPolicy('rot', { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P90D' }], expiresIn: 'P1Y' });
    expect(policy.expiresIn).toBe('P1Y');
    expect(policy.id).toBe(`${kv?.vaultUrl('kv-a')}keys/rot/rotationpolicy`);
    const v2 = await client.rotateKey('rot');
    expect(v2.properties.version).not.toBe(v1.properties.version);
    expect(v2.keyType).toBe('RSA-HSM');
    expect(v2.key?.n?.length).toBe(384);
    expect(v2.keyOperations).toEqual(['wrapKey', 'unwrapKey']);
    expect(v2.properties.tags).toBeUndefined();
    const created = v2.properties.createdOn?.getTime() ?? 0;
    expect(v2.properties.expiresOn?.getTime()).toBe(created + 365 * 86_400_000);
    expect(Buffer.from(v2.key?.n ?? []).equals(Buffer.from(v1.key?.n ?? []))).toBe(false);
  });
});

describe('backup/restore, delete/recover/purge', () => {
  it('restores a backup (all versions, same version ids) into another vault, refuses one over an existing name', async () => {
    const em = await start();
    const a = keyClient(em, 'kv-a', ADMIN, cert);
    const b = keyClient(em, 'kv-b', ADMIN, cert);
    const v1 = await a.createRsaKey('bk');
    const v2 = await a.createRsaKey('bk');
    const blob = await a.backupKey('bk');
    expect(blob).toBeInstanceOf(Uint8Array);
    const restored = await b.restoreKeyBackup(blob ?? new Uint8Array());
    expect(restored.properties.version).toBe(v2.properties.version);
    expect(restored.id).toBe(`${em.vaultUrl('kv-b')}keys/bk/${v2.properties.version}`);
    const versions: string[] = [];
    for await (const p of b.listPropertiesOfKeyVersions('bk')) versions.push(p.version ?? '');
    expect(versions).toEqual([v1.properties.version, v2.properties.version]);
    expect(await restError(b.restoreKeyBackup(blob ?? new Uint8Array()))).toMatchObject({ statusCode: 409, code: 'Conflict' });
  });

  it('soft-deletes, recovers, and refuses purge while purge protection is on', async () => {
    const client = keyClient(await start(), 'kv-a', ADMIN, cert);
    await client.createRsaKey('del');
    const poller = await client.beginDeleteKey('del', { intervalInMs: 10 });
    const deleted = await poller.pollUntilDone();
    expect(deleted.properties.recoveryId).toBe(`${kv?.vaultUrl('kv-a')}deletedkeys/del`);
    expect(deleted.properties.scheduledPurgeDate).toBeInstanceOf(Date);
    expect(await restError(client.getKey('del'))).toMatchObject({ statusCode: 404 });
    expect(await restError(client.createRsaKey('del'))).toMatchObject({ statusCode: 409, code: 'Conflict' });
    expect((await client.getDeletedKey('del')).name).toBe('del');
    const purge = await restError(client.purgeDeletedKey('del'));
    expect(purge.statusCode).toBe(403);
    expect(purge.message).toMatch(/purge protection/);
    const recovered = await (await client.beginRecoverDeletedKey('del', { intervalInMs: 10 })).pollUntilDone();
    expect(recovered.name).toBe('del');
    expect((await client.getKey('del')).properties.enabled).toBe(true);
  });

  it('purges when purge protection is off', async () => {
    const client = keyClient(await start([{ name: 'kv-a', purgeProtection: false }]), 'kv-a', ADMIN, cert);
    await client.createRsaKey('gone');
    await (await client.beginDeleteKey('gone', { intervalInMs: 10 })).pollUntilDone();
    await client.purgeDeletedKey('gone');
    expect(await restError(client.getDeletedKey('gone'))).toMatchObject({ statusCode: 404 });
    const audit = kv?.auditLog().filter((r) => r.operationName === 'KeyPurge') ?? [];
    expect(audit.at(-1)).toMatchObject({ resultSignature: 'No Content', properties: { id: `${kv?.vaultUrl('kv-a')}deletedkeys/gone`, httpStatusCode: 204 } });
  });
});
