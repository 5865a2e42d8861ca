// KeyAdmin over @azure/keyvault-keys: enabling or disabling one key version (the retirement step, I3). One
// KeyClient per vault (challenge authentication is per client). Failures are typed (../errors.ts) and safe to log.
import type { KeyClientCacheOptions } from '../keyClients.js';
import { keyClientCache } from '../keyClients.js';
import type { KeyAdmin } from '../../../app/retirement/ports.js';
import { ErrorBodies } from '../errorBodies.js';
import { toKeyVaultError } from '../errors.js';

export type KeyAdminOptions = KeyClientCacheOptions;

export function createKeyAdmin(o: KeyAdminOptions): KeyAdmin {
  const bodies = new ErrorBodies();
  const clientFor = keyClientCache(o, bodies);
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
