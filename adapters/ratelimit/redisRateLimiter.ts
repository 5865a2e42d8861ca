// A send budget shared by every instance (ACS Email: 30/min and 100/h by default, limits.md A11): over ANY 60 s span
// at most perMinute sends and over any hour at most perHour, whichever instance sends them. The GCRA of domain/gcra.ts
// in one Lua script on Redis's clock (the mechanism of the vault budget, adapters/redis/vaultBudget.ts): read, decide
// and write are atomic, so two instances cannot both take the last slot, and skewed instance clocks do not matter.
// A refused take books nothing: the caller leaves the alert pending and asks again on its next dispatch.
import type { Redis } from 'ioredis';
import type { RateLimiter } from '../../app/ports.js';
import { gcraCell, perMinuteAndHour, type GcraCell } from '../../domain/gcra.js';
import { luaScript, REDIS_NOW_LUA, runLua } from '../redis/luaScript.js';

export interface Budget {
  readonly perMinute: number;
  readonly perHour: number;
}

/** The send budget could not be consulted (Redis unreachable, too slow, or refusing the script). */
export class SendBudgetUnavailableError extends Error {
  override readonly name = 'SendBudgetUnavailableError';
}

// One hash per channel, field tat<i> per limit. ARGV: TTL margin ms, time override in µs ('' = Redis TIME; only the
// differential test against domain/gcra.ts passes one), then T and τ in µs of each limit. Returns {1, 0} when taken,
// {0, µs until it would be} when refused. Every value is an integer µs, exact in Lua's doubles, as in gcraTake.
const TAKE = luaScript(`${REDIS_NOW_LUA}
if ARGV[2] ~= '' then now = tonumber(ARGV[2]) end
local n = (#ARGV - 2) / 2
local tats = {}
local retry = 0
local horizon = now
for i = 1, n do
  local interval, tolerance = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local tat = tonumber(redis.call('HGET', KEYS[1], 'tat' .. i)) or now
  if tat < now then tat = now end
  tats[i] = tat + interval
  if tats[i] - tolerance - now > retry then retry = tats[i] - tolerance - now end
  if tats[i] > horizon then horizon = tats[i] end
end
if retry > 0 then return {0, retry} end
for i = 1, n do redis.call('HSET', KEYS[1], 'tat' .. i, num(tats[i])) end
-- Past the last TAT every limit is full again, so the key may go.
redis.call('PEXPIRE', KEYS[1], math.ceil((horizon - now) / 1000) + tonumber(ARGV[1]))
return {1, 0}`);

const TTL_MARGIN_MS = 60_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

export class RedisRateLimiter implements RateLimiter {
  private readonly cells: ReadonlyMap<string, readonly GcraCell[]>;
  private readonly commandTimeoutMs: number;

  constructor(
    private readonly redis: Redis,
    budgets: Readonly<Record<string, Budget>>,
    private readonly prefix = 'keysteward:rate:',
    opts: { commandTimeoutMs?: number } = {},
  ) {
    this.cells = new Map(Object.entries(budgets).map(([channel, b]) => [channel, perMinuteAndHour(b).map(gcraCell)]));
    this.commandTimeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  }

  /** `now` is ignored: every instance is judged on Redis's one clock. */
  async tryTake(channel: string, _now: number): Promise<boolean> {
    return (await this.take(channel, '')).taken;
  }

  /**
   * The take itself, at Redis's clock or (tests only) at `atUs`. Exported for the differential test that proves the
   * script computes what domain/gcra.ts computes.
   */
  async take(channel: string, atUs: number | ''): Promise<{ taken: boolean; retryInUs: number }> {
    const cells = this.cells.get(channel);
    if (!cells) return { taken: true, retryInUs: 0 };
    const argv = [TTL_MARGIN_MS, atUs, ...cells.flatMap((c) => [c.intervalUs, c.toleranceUs])].map(String);
    const reply = await runLua(this.redis, TAKE, [this.keyOf(channel)], argv, {
      timeoutMs: this.commandTimeoutMs,
      unavailable: (reason, cause) => new SendBudgetUnavailableError(`send budget of channel "${channel}" unavailable: ${reason}`, cause === undefined ? undefined : { cause }),
    });
    if (!Array.isArray(reply) || (reply[0] !== 0 && reply[0] !== 1) || typeof reply[1] !== 'number') {
      throw new SendBudgetUnavailableError(`send budget of channel "${channel}": unexpected script reply ${JSON.stringify(reply)}`);
    }
    return { taken: reply[0] === 1, retryInUs: reply[1] };
  }

  /** The channel's one Redis key (a Cluster hash tag: one key, one slot). */
  keyOf(channel: string): string {
    return `${this.prefix}{${channel}}`;
  }
}
