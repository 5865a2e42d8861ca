// One KeyClient per vault, kept: Key Vault's challenge authentication is per client instance (azure-formats.md §4.6),
// so a kept client skips the 401 round trip after its first call. The error-body policy lets failures be typed
// from the service's own error JSON (errorBodies.ts).
import type { TokenCredential } from '@azure/core-auth';
import { KeyClient, type CryptographyClientOptions, type KeyClientOptions } from '@azure/keyvault-keys';
import type { ErrorBodies } from './errorBodies.js';
import { throttleMetricPolicy } from './throttleMetric.js';

export interface KeyClientCacheOptions {
  readonly credential: TokenCredential;
  /** The vault's data-plane URL, e.g. `https://<vault>.vault.azure.net/` (locally the emulator's vaultUrl). */
  readonly vaultUrl: (vault: string) => string;
  /** Local mode: `localPolicies()`. */
  readonly additionalPolicies?: KeyClientOptions['additionalPolicies'];
  /** The SDK's own retries (its default when absent). */
  readonly maxRetries?: number;
}

/**
 * The pipeline of every Key Vault client keysteward makes (key and cryptography clients alike): the caller's policies
 * (local mode), the error-body capture when given, and the 429 counter (`keysteward.keyvault.throttled`). A fresh
 * object per client: the SDK's CryptographyClient mutates the options it is given.
 */
export function keyVaultClientOptions(o: Pick<KeyClientCacheOptions, 'additionalPolicies' | 'maxRetries'>, bodies?: ErrorBodies): KeyClientOptions & CryptographyClientOptions {
  return {
    additionalPolicies: [...(o.additionalPolicies ?? []), ...(bodies ? [{ policy: bodies.policy, position: 'perCall' as const }] : []), throttleMetricPolicy],
    ...(o.maxRetries !== undefined ? { retryOptions: { maxRetries: o.maxRetries } } : {}),
  };
}

/** One KeyClient per vault (or per vault URL, when `vaultUrl` is the identity), made on first use and kept. */
export function keyClientCache(o: KeyClientCacheOptions, bodies?: ErrorBodies): (vault: string) => KeyClient {
  const clients = new Map<string, KeyClient>();
  return (vault) => {
    let c = clients.get(vault);
    if (!c) {
      c = new KeyClient(o.vaultUrl(vault), o.credential, keyVaultClientOptions(o, bodies));
      clients.set(vault, c);
    }
    return c;
  };
}
