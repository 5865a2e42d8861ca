// Composes estate discovery (`keysteward discover`): the ARM inventory and the Key Vault key reader with the same
// credential and network as the service's other Azure clients (azureAccess: DefaultAzureCredential in azure mode, the
// local credential and loopback resolver in local mode), ARM_ENDPOINT, and counters of the requests each sent.
import type { ArmInventory, KeyFactsReader } from '../app/discovery/ports.js';
import { createArmInventory, RequestCounter } from '../adapters/arm/index.js';
import { createKeyFactsReader } from '../adapters/keyvault/keyFactsReader.js';
import { azureAccess } from './composition.js';
import type { DiscoveryConfig } from './config.js';

export interface DiscoveryServices {
  readonly arm: ArmInventory;
  readonly keys: KeyFactsReader;
  /** ARM requests (calls, sent with retries, answered 429). */
  readonly armRequests: RequestCounter;
  /** Key Vault data-plane requests. */
  readonly keyVaultRequests: RequestCounter;
}

export function createDiscoveryServices(config: DiscoveryConfig, options: { readonly maxRetries?: number } = {}): DiscoveryServices {
  const access = azureAccess(config);
  const armRequests = new RequestCounter();
  const keyVaultRequests = new RequestCounter();
  const template = config.KEYVAULT_URL_TEMPLATE;
  return {
    arm: createArmInventory({
      credential: access.credential,
      endpoint: config.ARM_ENDPOINT,
      additionalPolicies: access.additionalPolicies,
      counter: armRequests,
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    }),
    keys: createKeyFactsReader({
      credential: access.credential,
      additionalPolicies: [...access.additionalPolicies, ...keyVaultRequests.policies()],
      ...(template !== undefined ? { vaultUrl: (vault: string) => template.replace('{vault}', vault) } : {}),
    }),
    armRequests,
    keyVaultRequests,
  };
}
