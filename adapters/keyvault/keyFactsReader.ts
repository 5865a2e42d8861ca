// KeyFactsReader (app/discovery/ports.ts) over @azure/keyvault-keys: a protector key's current version (does it
// expire?) and its rotation policy (an expiryTime? a Rotate action?), read at the URI ARM gave for the vault. Needs
// `keys/read` and `keyrotationpolicies/read` (RBAC: Key Vault Reader; access policies: Get and GetRotationPolicy) —
// no cryptographic permission, and no key material leaves here. Refusals are values (Read not ok), never throws.
import type { KeyRotationPolicy } from '@azure/keyvault-keys';
import type { KeyFactsReader, Read } from '../../app/discovery/ports.js';
import { ErrorBodies } from './errorBodies.js';
import { toKeyVaultError } from './errors.js';
import { keyClientCache, type KeyClientCacheOptions } from './keyClients.js';

export interface KeyFactsReaderOptions extends Omit<KeyClientCacheOptions, 'vaultUrl'> {
  /** Overrides the vault URI ARM gives (KEYVAULT_URL_TEMPLATE: a private DNS name, the local emulators). */
  readonly vaultUrl?: (vault: string) => string;
}

/** Rotation-policy facts: Key Vault's default policy (no policy set) notifies only, and sets no expiry. */
export function policyFacts(p: Pick<KeyRotationPolicy, 'expiresIn' | 'lifetimeActions'>): { expires: boolean; autoRotate: boolean } {
  return { expires: Boolean(p.expiresIn), autoRotate: (p.lifetimeActions ?? []).some((a) => a.action.toLowerCase() === 'rotate') };
}

export function createKeyFactsReader(o: KeyFactsReaderOptions): KeyFactsReader {
  const bodies = new ErrorBodies();
  const arm = new Map<string, string>();
  const clientFor = keyClientCache({ ...o, vaultUrl: (vault) => o.vaultUrl?.(vault) ?? arm.get(vault) ?? `https://${vault}.vault.azure.net/` }, bodies);

  const read = async <T>(vault: { name: string; uri: string }, operation: string, fn: (client: ReturnType<typeof clientFor>) => Promise<T>): Promise<Read<T>> => {
    arm.set(vault.name, vault.uri);
    try {
      return { ok: true, value: await fn(clientFor(vault.name)) };
    } catch (err) {
      // A credential that cannot get a token for the vault's tenant (a vault in another tenant) lands here too.
      const e = toKeyVaultError(err, { vault: vault.name, operation }, bodies);
      const codes = [e.code, e.innerCode].filter((c) => c !== null).join('/');
      return { ok: false, reason: `${e.status ?? 'no response'}${codes ? ` ${codes}` : ''}${e.detail ? ` — ${e.detail}` : ''}` };
    }
  };

  return {
    keyAttributes: (vault, keyName) => read(vault, 'getKey', async (c) => ({ expires: (await c.getKey(keyName)).properties.expiresOn !== undefined })),
    rotationPolicy: (vault, keyName) => read(vault, 'getKeyRotationPolicy', async (c) => policyFacts(await c.getKeyRotationPolicy(keyName))),
  };
}
