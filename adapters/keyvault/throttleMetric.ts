// Counts Key Vault's HTTP 429 answers per vault (`keysteward.keyvault.throttled`), in every Key Vault client's
// pipeline. Placed per retry, so each throttled attempt is counted — the SDK's own retries and ours alike: a rising
// count means keysteward's per-vault budgets (adapters/redis/vaultBudget.ts) are set above what the vault gives.
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { countKeyVaultThrottled } from '../../app/telemetry.js';

/** The vault a data-plane URL names: the first label of its host (`<vault>.vault.azure.net`, the emulators' alike). */
export function vaultOfUrl(url: string): string {
  try {
    return new URL(url).hostname.split('.')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const policy: PipelinePolicy = {
  name: 'keystewardThrottleMetric',
  async sendRequest(request, next) {
    const response = await next(request);
    if (response.status === 429) countKeyVaultThrottled(vaultOfUrl(request.url));
    return response;
  },
};

export const throttleMetricPolicy = { policy, position: 'perRetry' as const };
