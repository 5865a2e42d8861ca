// A per-vault Key Vault budget shared by every keysteward instance (DESIGN.md §2 "Key Vault calls are rate limited
// per vault below its documented ceiling"; limits.md K1–K12). The in-process TokenBucketBudget
// (app/rewrap/vaultBudget.ts) gives each process the whole budget, so N instances or N campaigns on one vault would
// send N× its ceiling; here the bucket lives in Redis and every instance books from the same one.
//
// Model: GCRA, the token bucket of domain/rewrap/tokenBucket.ts written as one "theoretical arrival time" (TAT) per
// vault. With T = 1000/ratePerSec ms per unit and τ = burst·T, the bucket state (tokens, at) is TAT = at + (burst −
// tokens)·T: a full bucket is TAT ≤ now, each booked unit pushes TAT by T, and a booking may be sent at TAT − τ.
// Like reserve(), booking never refuses: the caller's units are taken at once and it is told how long to sleep, so
// concurrent callers queue first come, first served at the rate instead of polling.
// Invariant: over any span S, the sends this schedules for a vault (all instances together) weigh at most
// burst + ratePerSec·S (a single booking heavier than the burst is let through alone, after its debt), provided every
// instance uses the same ratePerSec and burst.
//
// - Time is Redis's own (TIME inside the scripts), never the caller's clock: instances with skewed clocks agree on
//   one schedule. Callers only ever get durations back, which need no common clock.
// - One script per booking: read, decide and write are atomic, so two instances cannot both spend the same tokens.
// - A 429's pause (remoteCall → pause) is recorded in the same hash: `until` (nothing is sent before it) and `shift`
//   (the total time the vault's schedule has been pushed back by pauses). A caller already sleeping when the pause
//   begins re-checks after its sleep and moves its send time back by the shift that grew meanwhile, so bookings made
//   before the 429 keep their order and spacing behind the pause: the vault sees the rate, not a burst, when it ends.
// - The hash's TTL always reaches past the last booked send time (plus a margin), so an idle vault leaves nothing
//   behind: an expired key reads as a full bucket, which is what it is by then.
// - Redis is not trusted to answer: createRedis sets maxRetriesPerRequest null (BullMQ needs it), so a command queues
//   until Redis returns. Every call here is bounded by `commandTimeoutMs` (like checkNoEviction and composition.ts
//   withTimeout) and fails with VaultBudgetUnavailableError. A command that timed out may still run when Redis comes
//   back; it then books units nobody spends, which only slows the vault down (the safe direction).
// - The email send budget (adapters/ratelimit/redisRateLimiter.ts) is the same GCRA on the same clock and runner
//   (luaScript.ts), asked "may I send one now?" instead of booking.
import type { Redis } from 'ioredis';
import type { Logger } from '../../app/ports.js';
import { luaScript, REDIS_NOW_LUA, runLua, type LuaScript } from './luaScript.js';
import { abortReason, BudgetUnavailableError, realSleep, type Sleep, type VaultBudget } from '../../app/rewrap/vaultBudget.js';
import type { BucketConfig } from '../../domain/rewrap/tokenBucket.js';

export interface RedisVaultBudgetOptions extends BucketConfig {
  /** Namespace of the keys (REDIS_KEY_PREFIX, e.g. `keysteward:`): deployments sharing a Redis do not share budgets. */
  readonly keyPrefix: string;
  /** Waits the booked delay; default realSleep. Tests inject one that records the waits. */
  readonly sleep?: Sleep;
  /** Longest wait for one Redis reply before the budget counts as unavailable (default 2,000 ms). */
  readonly commandTimeoutMs?: number;
  /** Where a pause() that could not be recorded is reported (default: one stderr line). */
  readonly log?: Pick<Logger, 'error'>;
}

/** The vault's budget could not be consulted (Redis unreachable, too slow, or refusing the script). */
export class VaultBudgetUnavailableError extends BudgetUnavailableError {
  override readonly name = 'VaultBudgetUnavailableError';

  constructor(
    readonly vault: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Key Vault budget of vault "${vault}" unavailable: ${reason}`, options);
  }
}

/**
 * The one Redis key of a vault's budget. Vault names are case-insensitive in Azure, so the key is lower-cased: two
 * callers spelling the vault differently still share one budget. The braces are a Cluster hash tag (one key, one slot).
 */
export function vaultBudgetKey(keyPrefix: string, vault: string): string {
  return `${keyPrefix}vault-budget:{${vault.toLowerCase()}}`;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

// Shared head of the scripts: Redis's clock (REDIS_NOW_LUA: `now` in µs, `num`) and the fields of the hash.
const HEAD = `${REDIS_NOW_LUA}
local st = redis.call('HMGET', KEYS[1], 'tat', 'until', 'shift')
local tat = tonumber(st[1]) or now
local pausedUntil = tonumber(st[2]) or 0
local shift = tonumber(st[3]) or 0
local function keep(horizon)
  -- Past the last booked send time (and the pause) the bucket is full again, so the key may go; ARGV[1] is the margin in ms.
  redis.call('PEXPIRE', KEYS[1], math.ceil((math.max(horizon, pausedUntil) - now) / 1000) + tonumber(ARGV[1]))
end
`;

// Book ARGV[4] units. ARGV: margin ms, T (µs per unit), τ (µs), weight. Returns {wait µs, shift µs at booking}.
// Rounding (ceil) only ever makes the schedule later, never earlier.
const ACQUIRE = `${HEAD}
local interval, tolerance, weight = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if tat < now then tat = now end
local newTat = tat + weight * interval
local wait = newTat - tolerance - now
if wait < 0 then wait = 0 end
redis.call('HSET', KEYS[1], 'tat', num(newTat))
keep(newTat)
return {math.ceil(wait), shift}`;

// Nothing is sent before now + ARGV[4] µs (a 429's Retry-After). As pauseUntil() in domain/rewrap/tokenBucket.ts:
// the bucket's balance time `at` moves to the new end; bookings beyond `at` (the backlog) move with it, keeping their
// order and spacing; a saved burst is dropped (the backlog is at least τ), so the first send after the pause comes at
// the rate. ARGV: margin ms, T µs (unused), τ µs, pause µs. Returns 1 when the pause moved the schedule, 0 when an
// existing pause already covered it.
const PAUSE = `${HEAD}
local tolerance, pauseUs = tonumber(ARGV[3]), tonumber(ARGV[4])
local at = math.max(now, pausedUntil)
local newUntil = now + pauseUs
if newUntil <= at then return 0 end
local backlog = math.max(tolerance, tat - at)
local newTat = newUntil + backlog
shift = shift + (newUntil - at)
pausedUntil = newUntil
redis.call('HSET', KEYS[1], 'tat', num(newTat), 'until', num(newUntil), 'shift', num(shift))
keep(newTat)
return 1`;

// After a caller's sleep: how much longer must it wait? Its send time moved back by every pause extension since it
// booked (shift now − shift at booking), and nothing goes before the current pause's end. ARGV: margin ms (unused),
// the shift the caller last saw. Returns {extra wait µs, shift now}. A shift below the caller's means the key expired
// and was recreated (an event-loop stall longer than the TTL margin): only the pause end is left to honour.
const RECHECK = `${HEAD}
local seen = tonumber(ARGV[2])
local extra = math.max(0, shift - seen, pausedUntil - now)
return {math.ceil(extra), shift}`;

const SCRIPTS = { acquire: luaScript(ACQUIRE), pause: luaScript(PAUSE), recheck: luaScript(RECHECK) } as const;

/** TTL margin past the schedule's end: covers a caller whose timer fires late before it re-checks (see RECHECK). */
const TTL_MARGIN_MS = 60_000;

const stderrLog: Pick<Logger, 'error'> = {
  error: (fields, message) => void process.stderr.write(`keysteward: ${message} ${JSON.stringify(fields)}\n`),
};

export class RedisVaultBudget implements VaultBudget {
  private readonly intervalUs: number;
  private readonly toleranceUs: number;
  private readonly keyPrefix: string;
  private readonly sleep: Sleep;
  private readonly commandTimeoutMs: number;
  private readonly log: Pick<Logger, 'error'>;
  /** pause() writes not yet answered (settled() waits for them). */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly redis: Redis,
    opts: RedisVaultBudgetOptions,
  ) {
    if (!(Number.isFinite(opts.ratePerSec) && opts.ratePerSec > 0)) throw new RangeError(`ratePerSec must be a positive number, got ${opts.ratePerSec}`);
    if (!(Number.isFinite(opts.burst) && opts.burst >= 0)) throw new RangeError(`burst must be a number >= 0, got ${opts.burst}`);
    const timeout = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    if (!(Number.isFinite(timeout) && timeout > 0)) throw new RangeError(`commandTimeoutMs must be a positive number, got ${timeout}`);
    this.intervalUs = 1e6 / opts.ratePerSec;
    this.toleranceUs = opts.burst * this.intervalUs;
    this.keyPrefix = opts.keyPrefix;
    this.sleep = opts.sleep ?? realSleep;
    this.commandTimeoutMs = timeout;
    this.log = opts.log ?? stderrLog;
  }

  /**
   * Books `weight` units of `vault`'s shared budget and resolves when they may be spent. Rejects with the signal's
   * reason when it fires (units already booked stay booked: the schedule only errs late), with RangeError for a
   * weight that is negative or not finite, and with VaultBudgetUnavailableError when Redis does not answer in time.
   */
  async acquire(vault: string, weight: number, signal?: AbortSignal): Promise<void> {
    if (!(Number.isFinite(weight) && weight >= 0)) throw new RangeError(`weight must be a number >= 0, got ${weight}`);
    if (signal?.aborted) throw abortReason(signal);
    let [waitUs, seen] = await this.run(vault, SCRIPTS.acquire, [this.intervalUs, this.toleranceUs, weight], signal);
    // A booking that may go at once was made after every pause already recorded: nothing to re-check.
    while (waitUs > 0) {
      await this.sleep(waitUs / 1000, signal);
      // A 429 seen by any instance while we slept applies to us too: our units were promised before it.
      [waitUs, seen] = await this.run(vault, SCRIPTS.recheck, [seen], signal);
    }
    if (signal?.aborted) throw abortReason(signal);
  }

  /**
   * Nothing more is sent to `vault`, by any instance, for `ms` (a 429's Retry-After). Fire-and-forget as the
   * interface wants: a failure is logged, never thrown or left as an unhandled rejection. The write is sent with
   * EVAL rather than EVALSHA so it can never be reordered (by a NOSCRIPT retry) behind a later re-check of this
   * instance on the same connection.
   */
  pause(vault: string, ms: number): void {
    if (!(ms > 0)) return; // nothing to pause (TokenBucketBudget ignores these too)
    if (!Number.isFinite(ms)) {
      this.log.error({ vault, ms }, 'vault budget pause ignored: not a finite duration');
      return;
    }
    const write = this.run(vault, SCRIPTS.pause, [this.intervalUs, this.toleranceUs, Math.ceil(ms * 1000)], undefined, 'eval').then(
      () => undefined,
      (err: unknown) => {
        try {
          this.log.error({ vault, ms, error: err instanceof Error ? err.message : String(err) }, 'vault budget pause not recorded; other instances may keep sending');
        } catch {
          // A failing logger must not turn into an unhandled rejection either.
        }
      },
    );
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  /** Resolves once every pause() issued so far has been recorded in Redis or reported as failed (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Runs one script on the vault's key, bounded by the command timeout and the signal; the reply is {µs, shift}. */
  private async run(vault: string, s: LuaScript, args: readonly number[], signal: AbortSignal | undefined, how: 'evalsha' | 'eval' = 'evalsha'): Promise<[number, number]> {
    const argv = [TTL_MARGIN_MS, ...args].map(String);
    const reply = await runLua(this.redis, s, [vaultBudgetKey(this.keyPrefix, vault)], argv, {
      timeoutMs: this.commandTimeoutMs,
      signal,
      how,
      unavailable: (reason, cause) => new VaultBudgetUnavailableError(vault, reason, cause === undefined ? undefined : { cause }),
    });
    const pair = Array.isArray(reply) ? reply : [reply];
    const [a, b] = pair;
    if (typeof a === 'number' && (pair.length === 1 || typeof b === 'number')) return [a, typeof b === 'number' ? b : 0];
    throw new VaultBudgetUnavailableError(vault, `unexpected script reply ${JSON.stringify(reply)}`);
  }
}
