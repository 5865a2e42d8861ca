// A `keyExists` hook backed by the Key Vault emulator (or any vault the SDK can reach): it reads the key version as
// the SQL server's managed identity, as Azure SQL does, so the vault's access control, firewall and key state decide
// whether ARM accepts the key. The thumbprint is the project's RFC 7638 one (adapters/keyvault/thumbprint.ts):
// identical material in two vaults gives equal thumbprints, which is what the geo rule compares. (What real ARM puts
// in `thumbprint` is its own format; production code never compares it with Key Vault thumbprints.)
import { isRestError } from '@azure/core-rest-pipeline';
import { KeyClient, parseKeyVaultKeyIdentifier, type KeyClientOptions } from '@azure/keyvault-keys';
import { LocalEmulatorCredential } from '../../adapters/azure/localCredential.js';
import { rsaModulusBits, rsaThumbprint } from '../../adapters/keyvault/thumbprint.js';
import type { KeyCheck, KeyCheckCaller, KeyLookup } from './types.js';

export interface KeyVaultLookupOptions {
  /** Local mode: `localPolicies()` (vault hosts are `<vault>.vault.localhost`). */
  readonly additionalPolicies?: KeyClientOptions['additionalPolicies'];
  readonly tenantId?: string;
  /** Epoch ms for the nbf/exp checks. Default Date.now. */
  readonly clock?: () => number;
}

const RSA_SIZES = new Set([2048, 3072]);

export function keyVaultLookup(o: KeyVaultLookupOptions = {}): KeyLookup {
  const clients = new Map<string, KeyClient>();
  const clock = o.clock ?? Date.now;
  const clientFor = (vaultUrl: string, caller: KeyCheckCaller & { principalId: string }): KeyClient => {
    const k = `${vaultUrl}|${caller.principalId}`;
    let c = clients.get(k);
    if (!c) {
      const credential = new LocalEmulatorCredential({ oid: caller.principalId, mirid: caller.server, ...(o.tenantId ? { tenantId: o.tenantId } : {}) });
      c = new KeyClient(vaultUrl, credential, { ...(o.additionalPolicies ? { additionalPolicies: o.additionalPolicies } : {}), retryOptions: { maxRetries: 0 } });
      clients.set(k, c);
    }
    return c;
  };

  return async (kid: string, caller: KeyCheckCaller): Promise<KeyCheck> => {
    if (caller.principalId === null) return { usable: false, reason: 'no_identity' };
    const id = parseKeyVaultKeyIdentifier(kid);
    let key;
    try {
      key = await clientFor(id.vaultUrl, { ...caller, principalId: caller.principalId }).getKey(id.name, { ...(id.version ? { version: id.version } : {}) });
    } catch (e) {
      if (!isRestError(e) || e.statusCode === undefined) return { usable: false, reason: 'unreachable' };
      if (e.statusCode === 404) return { usable: false, reason: 'not_found' };
      if (e.statusCode === 401 || e.statusCode === 403) return { usable: false, reason: 'forbidden' };
      return { usable: false, reason: 'unreachable' };
    }
    const p = key.properties;
    const now = clock();
    if (p.enabled === false) return { usable: false, reason: 'disabled' };
    if ((p.expiresOn && p.expiresOn.getTime() <= now) || (p.notBefore && p.notBefore.getTime() > now)) return { usable: false, reason: 'expired' };
    const jwk = key.key;
    if (!jwk?.n || !jwk.e) return { usable: false, reason: 'unsupported' };
    if (!RSA_SIZES.has(rsaModulusBits(jwk.n))) return { usable: false, reason: 'unsupported' };
    return { usable: true, thumbprint: rsaThumbprint({ n: jwk.n, e: jwk.e }) };
  };
}
