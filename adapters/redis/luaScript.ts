// Running a Lua script on Redis the way every budget here does (the vault budget, the email send budget): by SHA
// with one fallback to the source when Redis's script cache is empty, bounded by a timeout and an optional abort
// signal. Redis is not trusted to answer: createRedis sets maxRetriesPerRequest null (BullMQ needs it), so a command
// queues until Redis returns. A command that timed out may still run when Redis comes back.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { abortReason } from '../../app/rewrap/vaultBudget.js';

export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

export const luaScript = (lua: string): LuaScript => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

/**
 * Prelude of a script on Redis's own clock: `now` in µs (exact in a double until the year 2255) and `num(x)`, which
 * writes a number with all its digits (Lua's default %.14g would round an epoch in µs). replicate_commands is a no-op
 * on Redis ≥ 5 (effects replication, so TIME before a write is allowed); older servers need the call.
 */
export const REDIS_NOW_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function num(x) return string.format('%.0f', math.ceil(x)) end
`;

export interface RunLuaOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** 'eval' sends the source every time: it can never be reordered (by a NOSCRIPT retry) behind a later call. */
  readonly how?: 'evalsha' | 'eval';
  /** The error for "Redis did not answer in time" or "Redis refused the script" (the caller's unavailable error). */
  readonly unavailable: (reason: string, cause?: unknown) => Error;
}

/** Runs `s` with `keys` and `argv`; resolves with Redis's raw reply. */
export function runLua(redis: Redis, s: LuaScript, keys: readonly string[], argv: readonly string[], opts: RunLuaOptions): Promise<unknown> {
  const { signal } = opts;
  const send = async (): Promise<unknown> => {
    if (opts.how === 'eval') return redis.eval(s.lua, keys.length, ...keys, ...argv);
    try {
      return await redis.evalsha(s.sha, keys.length, ...keys, ...argv);
    } catch (err) {
      // Script cache empty (Redis restarted, SCRIPT FLUSH): send the source once; Redis caches it again.
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return redis.eval(s.lua, keys.length, ...keys, ...argv);
      throw err;
    }
  };
  return new Promise<unknown>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const timer = setTimeout(() => {
      finish();
      reject(opts.unavailable(`Redis did not answer within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    const onAbort = (): void => {
      finish();
      reject(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // Handlers are attached here even if the timer or the signal won: a late failure is never an unhandled rejection.
    send().then(
      (reply) => {
        finish();
        resolve(reply);
      },
      (err: unknown) => {
        finish();
        reject(opts.unavailable(`Redis refused the script: ${err instanceof Error ? err.message : String(err)}`, err));
      },
    );
  });
}
