// Request line → operation, for the path shapes the SDK actually sends (azure-formats.md §4.2).
import { describe, expect, it } from 'vitest';
import { auditTime, reasonPhrase } from '../../../emulators/keyvault/audit.js';
import { parseRoute } from '../../../emulators/keyvault/routes.js';

const V = '0a9b8c7d6e5f40312233445566778899';

describe('parseRoute', () => {
  it.each([
    ['GET', '/keys/k/', { operation: 'KeyGet', keyName: 'k', version: '' }],
    ['GET', `/keys/k/${V}`, { operation: 'KeyGet', keyName: 'k', version: V }],
    ['GET', '/keys/k/versions', { operation: 'KeyListVersions', keyName: 'k', permission: 'list' }],
    ['GET', '/keys', { operation: 'KeyList' }],
    ['POST', '/keys/k/create', { operation: 'KeyCreate', keyName: 'k', permission: 'create' }],
    ['PUT', '/keys/k', { operation: 'KeyImport', keyName: 'k', permission: 'import' }],
    ['PATCH', `/keys/k/${V}`, { operation: 'KeyUpdate', version: V, permission: 'update' }],
    ['PATCH', '/keys/k/', { operation: 'KeyUpdate', version: '' }],
    ['POST', '/keys/k/rotate', { operation: 'KeyRotate', permission: 'rotate' }],
    ['GET', '/keys/k/rotationpolicy', { operation: 'KeyRotationPolicyGet', permission: 'getrotationpolicy' }],
    ['PUT', '/keys/k/rotationpolicy', { operation: 'KeyRotationPolicySet', permission: 'setrotationpolicy' }],
    ['POST', '/keys/k/backup', { operation: 'KeyBackup' }],
    ['POST', '/keys/restore', { operation: 'KeyRestore', permission: 'restore' }],
    ['POST', `/keys/k/${V}/wrapkey`, { operation: 'KeyWrap', crypto: 'wrapKey', rbacAction: 'Microsoft.KeyVault/vaults/keys/wrap/action' }],
    ['POST', `/keys/k/${V}/unwrapkey`, { operation: 'KeyUnwrap', crypto: 'unwrapKey', permission: 'unwrapKey', rbacAction: 'Microsoft.KeyVault/vaults/keys/unwrap/action' }],
    ['POST', '/keys/k//unwrapkey', { operation: 'KeyUnwrap', version: '' }],
    ['DELETE', '/keys/k', { operation: 'KeyDelete', permission: 'delete' }],
    ['GET', '/deletedkeys/k', { operation: 'KeyGetDeleted', deleted: true, permission: 'get' }],
    ['DELETE', '/deletedkeys/k', { operation: 'KeyPurge', permission: 'purge' }],
    ['POST', '/deletedkeys/k/recover', { operation: 'KeyRecover', permission: 'recover' }],
    ['GET', '/deletedkeys', { operation: 'KeyListDeleted' }],
  ])('%s %s', (method, path, expected) => {
    expect(parseRoute(method, path)).toMatchObject(expected);
  });

  it('refuses what the emulator does not serve', () => {
    for (const [m, p] of [['GET', '/secrets/s'], ['POST', '/keys/k/sign/x/y'], ['DELETE', '/keys/k/'], ['GET', '/keys/%E0%A4%A']]) expect(parseRoute(m ?? '', p ?? '')).toBeNull();
  });
});

describe('audit formatting', () => {
  it('writes 7 fractional digits and HTTP reason phrases', () => {
    expect(auditTime(Date.UTC(2026, 2, 2, 14, 5, 11, 482))).toBe('2026-03-02T14:05:11.4820000Z');
    expect([200, 204, 400, 401, 403, 404, 409, 429].map(reasonPhrase)).toEqual(['OK', 'No Content', 'Bad Request', 'Unauthorized', 'Forbidden', 'Not Found', 'Conflict', 'Too Many Requests']);
  });
});
