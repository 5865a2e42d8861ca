// ARM JSON of servers, managed instances, their keys and encryption protector, shaped like api-version
// 2020-11-01-preview (keys, encryption protectors) and 2022-08-01-preview (servers, managed instances): the versions
// @azure/arm-sql 10 sends.
import { identityJson } from '../arm/identity.js';
import { SERVICE_MANAGED, type ServerKeyRecord, type ServerRecord } from './state.js';

const kindOf = (type: ServerKeyRecord['type']): string => (type === 'AzureKeyVault' ? 'azurekeyvault' : 'servicemanaged');

const typeOf = (s: ServerRecord, child?: string): string => `Microsoft.Sql/${s.kind}${child ? `/${child}` : ''}`;

export function serverKeyJson(s: ServerRecord, k: ServerKeyRecord): unknown {
  const isProtector = k.name.toLowerCase() === s.protector.serverKeyName.toLowerCase();
  return {
    kind: kindOf(k.type),
    location: s.location,
    properties: {
      serverKeyType: k.type,
      ...(k.uri !== null ? { uri: k.uri } : {}),
      ...(k.thumbprint !== null ? { thumbprint: k.thumbprint } : {}),
      creationDate: k.creationDate,
      autoRotationEnabled: isProtector && s.protector.autoRotationEnabled,
    },
    id: `${s.resourceId}/keys/${k.name}`,
    name: k.name,
    type: typeOf(s, 'keys'),
  };
}

export function protectorKey(s: ServerRecord): ServerKeyRecord {
  const k = s.keys.get(s.protector.serverKeyName.toLowerCase());
  // The protector's key cannot be deleted (AzureKeyVaultKeyInUse), so it is always there.
  if (!k) throw new Error(`protector key ${s.protector.serverKeyName} missing on ${s.name}`);
  return k;
}

export function protectorJson(s: ServerRecord): unknown {
  const k = protectorKey(s);
  return {
    kind: kindOf(k.type),
    location: s.location,
    properties: {
      serverKeyName: k.name,
      serverKeyType: k.type,
      ...(k.uri !== null ? { uri: k.uri } : {}),
      ...(k.thumbprint !== null ? { thumbprint: k.thumbprint } : {}),
      autoRotationEnabled: s.protector.autoRotationEnabled,
    },
    id: `${s.resourceId}/encryptionProtector/current`,
    name: 'current',
    type: typeOf(s, 'encryptionProtector'),
  };
}

/**
 * Properties a server and an instance share: the identity SQL reads the key with, and the CMK `keyId` — versionless
 * when the protector auto-rotates (SQL then follows the key's current version), the version's URI otherwise. The
 * encryption protector's own `uri` always names the version in use.
 */
function cmkProperties(s: ServerRecord): Record<string, unknown> {
  const k = protectorKey(s);
  const keyId = k.uri !== null && s.protector.autoRotationEnabled ? k.uri.slice(0, k.uri.lastIndexOf('/')) : k.uri;
  return {
    ...(s.identity.primaryUserAssignedIdentityId ? { primaryUserAssignedIdentityId: s.identity.primaryUserAssignedIdentityId } : {}),
    ...(k.name !== SERVICE_MANAGED && keyId !== null ? { keyId } : {}),
  };
}

export function serverJson(s: ServerRecord): unknown {
  const identity = identityJson(s.identity);
  return {
    kind: 'v12.0',
    location: s.location,
    ...(identity ? { identity } : {}),
    properties: {
      administratorLogin: 'sqladmin',
      version: '12.0',
      state: 'Ready',
      fullyQualifiedDomainName: `${s.name}.database.windows.net`,
      publicNetworkAccess: 'Enabled',
      ...cmkProperties(s),
    },
    id: s.resourceId,
    name: s.name,
    type: typeOf(s),
  };
}

export function managedInstanceJson(s: ServerRecord): unknown {
  const identity = identityJson(s.identity);
  return {
    location: s.location,
    ...(identity ? { identity } : {}),
    sku: { name: 'GP_Gen5', tier: 'GeneralPurpose', family: 'Gen5', capacity: 8 },
    properties: {
      provisioningState: 'Succeeded',
      fullyQualifiedDomainName: `${s.name}.0a1b2c3d4e5f.database.windows.net`,
      administratorLogin: 'sqladmin',
      state: 'Ready',
      licenseType: 'LicenseIncluded',
      vCores: 8,
      storageSizeInGB: 256,
      ...cmkProperties(s),
    },
    id: s.resourceId,
    name: s.name,
    type: typeOf(s),
  };
}
