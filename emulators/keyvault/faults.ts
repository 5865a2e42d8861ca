// Injected faults (`inject`): what a real vault does under load or in an incident and the emulator cannot produce by
// itself — a storm of 429s (a failover sending one key operation per database), 5xx answers, slow answers. A fault
// applies to the vaults it names (default every vault) until its count or its end time is spent; several may be
// active at once (the first that applies decides the error, latencies add up). Faults come after authentication, like
// Key Vault's own throttling, so the SDK's 401 challenge still works; every faulted request is audited as usual.
import { KvError, throttled } from './errors.js';

export interface KeyVaultFault {
  /** 429 (with Retry-After), 500 or 503. Absent: the request is not refused (a latency-only fault). */
  readonly status?: 429 | 500 | 503;
  /** Retry-After of a 429 or 503, in seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** Added before the request is processed. */
  readonly latencyMs?: number;
  /** How many requests it applies to (default: no limit). */
  readonly count?: number;
  /** How long it lasts from now, in ms (default: until spent or cleared). */
  readonly durationMs?: number;
  /** Lower-case vault names (default every vault). */
  readonly vaults?: readonly string[];
}

interface ActiveFault {
  readonly fault: KeyVaultFault;
  remaining: number;
  readonly until: number;
}

/** What the faults do to one request: wait this long, then answer this error (or go on). */
export interface FaultDecision {
  readonly latencyMs: number;
  readonly error: KvError | null;
}

const NONE: FaultDecision = { latencyMs: 0, error: null };

export function validateFault(f: KeyVaultFault): string | null {
  if (f.status !== undefined && f.status !== 429 && f.status !== 500 && f.status !== 503) return 'status must be 429, 500 or 503';
  for (const [name, v] of [['retryAfterSeconds', f.retryAfterSeconds], ['latencyMs', f.latencyMs], ['durationMs', f.durationMs]] as const) {
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) return `${name} must be a non-negative number`;
  }
  if (f.count !== undefined && (!Number.isInteger(f.count) || f.count < 1)) return 'count must be a positive integer';
  if (f.vaults !== undefined && (!Array.isArray(f.vaults) || f.vaults.some((v) => typeof v !== 'string'))) return 'vaults must be a list of vault names';
  if (f.status === undefined && !f.latencyMs) return 'a fault needs a status or a latencyMs';
  return null;
}

function errorOf(f: KeyVaultFault): KvError | null {
  const retryAfter = Math.max(0, Math.round(f.retryAfterSeconds ?? 1));
  if (f.status === 429) return throttled(retryAfter);
  if (f.status === 503) return new KvError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please retry the request later.', undefined, { 'Retry-After': String(retryAfter) });
  if (f.status === 500) return new KvError(500, 'InternalServerError', 'An unexpected error occurred. Please retry the request.');
  return null;
}

export class InjectedFaults {
  private active: ActiveFault[] = [];

  constructor(private readonly clock: () => number) {}

  /** Throws Error on an invalid fault. */
  inject(fault: KeyVaultFault): void {
    const problem = validateFault(fault);
    if (problem) throw new Error(`invalid fault: ${problem}`);
    const vaults = fault.vaults?.map((v) => v.toLowerCase());
    this.active.push({
      fault: { ...fault, ...(vaults ? { vaults } : {}) },
      remaining: fault.count ?? Number.POSITIVE_INFINITY,
      until: fault.durationMs !== undefined ? this.clock() + fault.durationMs : Number.POSITIVE_INFINITY,
    });
  }

  clear(): void {
    this.active = [];
  }

  /** The faults still in force (for the admin API). */
  list(): KeyVaultFault[] {
    this.expire();
    return this.active.map((a) => a.fault);
  }

  /** Consumes one use of every fault that applies to a request to `vault`. */
  take(vault: string): FaultDecision {
    this.expire();
    if (this.active.length === 0) return NONE;
    let latencyMs = 0;
    let error: KvError | null = null;
    for (const a of this.active) {
      if (a.fault.vaults && !a.fault.vaults.includes(vault)) continue;
      a.remaining--;
      latencyMs += a.fault.latencyMs ?? 0;
      error ??= errorOf(a.fault);
    }
    this.expire();
    return { latencyMs, error };
  }

  private expire(): void {
    const now = this.clock();
    this.active = this.active.filter((a) => a.remaining > 0 && a.until > now);
  }
}
