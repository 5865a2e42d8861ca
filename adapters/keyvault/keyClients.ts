// One KeyClient per vault, kept: Key Vault's challenge authentication is per client instance (azure-formats.md §4.6),
// so a kept client skips the 401 round trip after its first call. The error-body policy lets failures be typed
// from the service's own error JSON (errorBodies.ts).
import type { TokenCredential } from '@azure/core-auth';
import { KeyClient, type KeyClientOptions } from '@azure/keyvault-keys';
import type { ErrorBodies } from './errorBodies.js';
import { throttleMetricPolicy } from './throttleMetric.js';

export interface KeyClientCacheOptions {
  readonly credential: TokenCredential;
  /** The vault's data-plane URL, e.g. `https://<vault>.vault.azure.net/` (locally the emulator's vaultUrl). */
  readonly vaultUrl: (vault: string) => string;
  /** Local mode: `localPolicies()`. */
  readonly additionalPolicies?: KeyClientOptions['additionalPolicies'];
}

export function keyClientCache(o: KeyClientCacheOptions, bodies: ErrorBodies): (vault: string) => KeyClient {
  const clients = new Map<string, KeyClient>();
  return (vault) => {
    let c = clients.get(vault);
    if (!c) {
      c = new KeyClient(o.vaultUrl(vault), o.credential, { additionalPolicies: [...(o.additionalPolicies ?? []), { policy: bodies.policy, position: 'perCall' }, throttleMetricPolicy] });
      clients.set(vault, c);
    }
    return c;
  };
}
