// What a rewrap costs against a vault's throughput ceiling (limits.md K1–K8, §2(c)). Key Vault enforces one
// weighted budget per vault: a software RSA-2048 operation is one unit, HSM keys cost twice their software size,
// RSA-3072 costs 4 and RSA-4096 8 (the emulator weighs the same way: emulators/keyvault/throttle.ts).

/** Units one operation on this key costs. Unknown types are weighed as the dearest RSA-2048 (HSM) rather than the cheapest. */
export function operationWeight(kty: string | null, sizeBits: number | null): number {
  const hsm = kty === null || kty.toUpperCase().endsWith('-HSM') ? 2 : 1;
  if (sizeBits === null || sizeBits <= 2048) return hsm;
  if (sizeBits <= 3072) return 4 * hsm;
  return 8 * hsm;
}

export interface VaultCeiling {
  /** Weighted units the vault admits per window (4,000 for a software vault: K1). */
  readonly units: number;
  /** Length of the vault's sliding window in ms (10,000 in Azure). */
  readonly windowMs: number;
}

/** Azure Key Vault's documented per-vault ceiling (K1): 4,000 software RSA-2048 operations per 10 s. */
export const AZURE_VAULT_CEILING: VaultCeiling = { units: 4000, windowMs: 10_000 };

/**
 * The highest steady rate (units/s) a token bucket of `burst` units may spend without overfilling the vault's
 * sliding window. A bucket at rate r admits at most burst + r·T units in any span T; requests reach the vault up to
 * `guardMs` later than they left (event-loop and network jitter), so any window of the vault sees sends from a span
 * of windowMs + guardMs: burst + r·(windowMs + guardMs) ≤ units. `share` (0..1] leaves room for the vault's other
 * users (Azure SQL's own unwraps, reliability.md K12 suggests ≤ 20% for background work).
 */
export function sustainableRatePerSec(ceiling: VaultCeiling, opts: { burst: number; guardMs: number; share?: number }): number {
  const units = ceiling.units * (opts.share ?? 1) - opts.burst;
  return Math.max(0, (units * 1000) / (ceiling.windowMs + opts.guardMs));
}

/**
 * Rewraps per second the ceiling allows: each rewrap spends one remote unwrap under the old version and one
 * verification unwrap under the new one; the wrap itself is local with the cached public key and costs nothing (K14).
 */
export function rewrapCeilingPerSec(ceiling: VaultCeiling, weights: { readonly unwrapOld: number; readonly verifyNew: number }): number {
  return (ceiling.units * 1000) / ceiling.windowMs / (weights.unwrapOld + weights.verifyNew);
}
