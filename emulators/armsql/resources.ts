// ARM JSON of the emulated resources, shaped like api-version 2020-11-01-preview (keys, encryption protector),
// 2022-08-01-preview (servers) and 2022-02-01-preview (replication links): the versions @azure/arm-sql 10 sends.
import { createHash } from 'node:crypto';
import { SERVICE_MANAGED, type ServerKeyRecord, type ServerRecord } from './state.js';

const kindOf = (type: ServerKeyRecord['type']): string => (type === 'AzureKeyVault' ? 'azurekeyvault' : 'servicemanaged');

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
    type: 'Microsoft.Sql/servers/keys',
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
    type: 'Microsoft.Sql/servers/encryptionProtector',
  };
}

export function serverJson(s: ServerRecord): unknown {
  const k = protectorKey(s);
  return {
    kind: 'v12.0',
    location: s.location,
    ...(s.principalId !== null ? { identity: { type: 'SystemAssigned', principalId: s.principalId, tenantId: '00000000-0000-0000-0000-000000000000' } } : {}),
    properties: {
      version: '12.0',
      state: 'Ready',
      fullyQualifiedDomainName: `${s.name}.database.windows.net`,
      ...(k.name !== SERVICE_MANAGED && k.uri !== null ? { keyId: k.uri } : {}),
    },
    id: s.resourceId,
    name: s.name,
    type: 'Microsoft.Sql/servers',
  };
}

/** A stable GUID per pair, so a link keeps its id across requests. */
function linkId(a: string, b: string): string {
  const h = createHash('sha256').update(`${a.toLowerCase()}|${b.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** One geo link per partner, on a database named after the server pair (the emulator has no databases). */
export function replicationLinkJson(s: ServerRecord, partner: ServerRecord): unknown {
  const primary = s.role === 'Primary' ? s : partner;
  const database = `${primary.name}-db`;
  const id = linkId(primary.resourceId, (s === primary ? partner : s).resourceId);
  return {
    properties: {
      partnerServer: partner.name,
      partnerDatabase: database,
      partnerLocation: partner.location,
      role: s.role,
      partnerRole: partner.role,
      replicationMode: 'ASYNC',
      startTime: '2026-01-01T00:00:00Z',
      percentComplete: 100,
      replicationState: 'CATCH_UP',
      isTerminationAllowed: true,
      linkType: 'GEO',
    },
    id: `${s.resourceId}/databases/${database}/replicationLinks/${id}`,
    name: id,
    type: 'Microsoft.Sql/servers/databases/replicationLinks',
  };
}
