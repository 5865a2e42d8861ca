// PUT …/encryptionProtector/current and POST …/current/revalidate: Azure's checks for switching the TDE protector,
// including the geo rule that makes rotation go secondary first: a geo-primary may only switch to key material that
// every partner already holds as a server key (400 KeyMaterialNotFoundOnRemoteServer).
import { invalidKeyName, invalidKeyType, invalidProtectorRequest, keyMaterialNotFoundOnRemoteServer, serverKeyDoesNotExist } from './errors.js';
import { checkKey } from './keyAccess.js';
import { sameName } from './keyUri.js';
import { protectorJson, protectorKey } from './resources.js';
import { SERVICE_MANAGED, holdsMaterial, keyPrincipalOf, type ServerKeyRecord, type ServerRecord } from './state.js';
import { isObject, prepare, str, type PreparedWrite, type WriteDeps } from './write.js';

interface ProtectorRequest {
  readonly type: 'AzureKeyVault' | 'ServiceManaged';
  readonly serverKeyName: string;
  readonly autoRotationEnabled: boolean;
}

/** Asks the vault about an Azure Key Vault key; a thumbprint learnt on the way is kept (it is the material's identity). */
async function usableKey(d: WriteDeps, s: ServerRecord, key: ServerKeyRecord): Promise<ServerKeyRecord> {
  if (key.type !== 'AzureKeyVault' || key.uri === null) return key;
  const thumbprint = await checkKey(d.lookup, key.uri, { server: s.resourceId, principalId: keyPrincipalOf(s) });
  if (thumbprint === null || key.thumbprint !== null) return key;
  const known = { ...key, thumbprint };
  s.keys.set(key.name.toLowerCase(), known);
  return known;
}

export function prepareProtectorWrite(d: WriteDeps, s: ServerRecord, body: unknown): PreparedWrite {
  const props = isObject(body) ? body['properties'] : undefined;
  const p = isObject(props) ? props : {};
  const type = str(p['serverKeyType']);
  const name = str(p['serverKeyName']);
  const auto = p['autoRotationEnabled'];
  const draft = {
    server: s.resourceId,
    serverName: s.name,
    operation: 'encryptionProtector/write' as const,
    target: 'current',
    request: {
      ...(type !== undefined ? { serverKeyType: type } : {}),
      ...(name !== undefined ? { serverKeyName: name } : {}),
      ...(typeof auto === 'boolean' ? { autoRotationEnabled: auto } : {}),
    },
    async: false,
  };
  const shape = (): ProtectorRequest => {
    if (!isObject(props) || (auto !== undefined && auto !== null && typeof auto !== 'boolean')) throw invalidProtectorRequest();
    if (type === SERVICE_MANAGED) return { type, serverKeyName: SERVICE_MANAGED, autoRotationEnabled: false };
    if (type !== 'AzureKeyVault') throw invalidKeyType();
    if (!name) throw invalidKeyName();
    return { type, serverKeyName: name, autoRotationEnabled: auto === true };
  };
  return prepare(draft, shape, async (req) => {
    const found = s.keys.get(req.serverKeyName.toLowerCase());
    if (!found) throw serverKeyDoesNotExist();
    if (found.type !== req.type) throw invalidKeyType();
    const key = await usableKey(d, s, found);
    if (s.role === 'Primary' && key.type === 'AzureKeyVault') {
      for (const partner of d.registry.partnersOf(s)) {
        if (!holdsMaterial(partner, key)) throw keyMaterialNotFoundOnRemoteServer(key.uri ?? key.name, partner.name);
      }
    }
    const unchanged = sameName(s.protector.serverKeyName, key.name) && s.protector.autoRotationEnabled === req.autoRotationEnabled;
    s.protector = { serverKeyName: key.name, autoRotationEnabled: req.autoRotationEnabled };
    return { status: 200, body: protectorJson(s), changed: !unchanged };
  });
}

/** Re-checks access to the current protector (what an operator runs after restoring access to the key). */
export function prepareRevalidate(d: WriteDeps, s: ServerRecord): PreparedWrite {
  const draft = { server: s.resourceId, serverName: s.name, operation: 'encryptionProtector/revalidate/action' as const, target: 'current', request: {}, async: false };
  return prepare(
    draft,
    () => undefined,
    async () => {
      await usableKey(d, s, protectorKey(s));
      return { status: 200, changed: false };
    },
  );
}
