// PUT / DELETE …/servers/{server}/keys/{keyName}: Azure's checks for adding and removing a server key.
import {
  invalidKeyName,
  invalidKeyType,
  invalidKeyUpsertRequest,
  invalidUpsertKeyType,
  keyInUse,
  keyUsedOnGeoPrimary,
  malformedVaultUri,
} from './errors.js';
import { checkKey } from './keyAccess.js';
import { parseServerKeyUri, sameName, type ServerKeyUri } from './keyUri.js';
import { serverKeyJson } from './resources.js';
import { SERVICE_MANAGED, keyPrincipalOf, sameMaterial, type ServerRecord } from './state.js';
import { isObject, prepare, str, type PreparedWrite, type WriteDeps } from './write.js';

export function prepareKeyWrite(d: WriteDeps, s: ServerRecord, keyName: string, body: unknown): PreparedWrite {
  const props = isObject(body) ? body['properties'] : undefined;
  const type = isObject(props) ? str(props['serverKeyType']) : undefined;
  const uri = isObject(props) ? str(props['uri']) : undefined;
  const draft = {
    server: s.resourceId,
    serverName: s.name,
    operation: 'keys/write' as const,
    target: keyName,
    request: { ...(type !== undefined ? { serverKeyType: type } : {}), ...(uri !== undefined ? { uri } : {}) },
    async: false,
  };
  const shape = (): ServerKeyUri => {
    if (!isObject(props)) throw invalidKeyUpsertRequest();
    if (type === SERVICE_MANAGED) throw invalidUpsertKeyType();
    if (type !== 'AzureKeyVault') throw invalidKeyType();
    const parsed = parseServerKeyUri(uri);
    if (!parsed) throw malformedVaultUri();
    if (!sameName(parsed.serverKeyName, keyName)) throw invalidKeyName();
    return parsed;
  };
  return prepare(draft, shape, async (parsed) => {
    const existing = s.keys.get(keyName.toLowerCase());
    const thumbprint = await checkKey(d.lookup, parsed.uri, { server: s.resourceId, principalId: keyPrincipalOf(s) });
    if (existing?.uri && sameName(existing.uri, parsed.uri)) {
      return { status: 200, body: serverKeyJson(s, existing), changed: false };
    }
    const record = { name: keyName, type: 'AzureKeyVault' as const, uri: parsed.uri, thumbprint, creationDate: d.now() };
    s.keys.set(keyName.toLowerCase(), record);
    return { status: existing ? 200 : 201, body: serverKeyJson(s, record), changed: true };
  });
}

export function prepareKeyDelete(d: WriteDeps, s: ServerRecord, keyName: string): PreparedWrite {
  const draft = { server: s.resourceId, serverName: s.name, operation: 'keys/delete' as const, target: keyName, request: {}, async: false };
  return prepare(
    draft,
    () => undefined,
    async () => {
      const key = s.keys.get(keyName.toLowerCase());
      if (!key) return { status: 204, changed: false };
      if (key.type === 'ServiceManaged') throw invalidKeyType();
      if (sameName(s.protector.serverKeyName, key.name)) throw keyInUse();
      // A geo-secondary must keep the material its primary protects with: it needs it after a failover.
      for (const p of d.registry.partnersOf(s)) {
        const primaryKey = p.role === 'Primary' ? p.keys.get(p.protector.serverKeyName.toLowerCase()) : undefined;
        if (primaryKey && sameMaterial(primaryKey, key)) throw keyUsedOnGeoPrimary(key.name);
      }
      s.keys.delete(keyName.toLowerCase());
      return { status: 200, changed: true };
    },
  );
}
