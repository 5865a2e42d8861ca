// KeyAdmin over @azure/keyvault-keys: enabling or disabling one key version (the retirement step, I3). One
// KeyClient per vault (challenge authentication is per client). Failures are typed (../errors.ts) and safe to log.
import type { TokenCredential } from '@azure/core-auth';
import { KeyClient, type KeyClientOptions } from '@azure/keyvault-keys';
import type { KeyAdmin } from '../../../app/retirement/ports.js';
import { ErrorBodies } from '../errorBodies.js';
import { toKeyVaultError } from '../errors.js';

export interface KeyAdminOptions {
  readonly credential: TokenCredential;
  /** The vault's data-plane URL, e.g. `https://<vault>.vault.azure.net/` (locally the emulator's vaultUrl). */
  readonly vaultUrl: (vault: string) => string;
  /** Local mode: `localPolicies()`. */
  readonly additionalPolicies?: KeyClientOptions['additionalPolicies'];
}

export function createKeyAdmin(o: KeyAdminOptions): KeyAdmin {
  const bodies = new ErrorBodies();
  const clients = new Map<string, KeyClient>();
  const clientFor = (vault: string): KeyClient => {
    let c = clients.get(vault);
    if (!c) {
      c = new KeyClient(o.vaultUrl(vault), o.credential, { additionalPolicies: [...(o.additionalPolicies ?? []), { policy: bodies.policy, position: 'perCall' }] });
      clients.set(vault, c);
    }
    return c;
  };
  return {
    async updateKeyProperties(vault, key, version, patch) {
      try {
        await clientFor(vault).updateKeyProperties(key, version, { enabled: patch.enabled });
      } catch (err) {
        throw toKeyVaultError(err, { vault, operation: 'updateKeyProperties' }, bodies);
      }
    },
  };
}
