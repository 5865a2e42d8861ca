// Start-up check (DESIGN.md §2, reliability.md B5): only `noeviction` guarantees Redis never silently drops
// queue or dedupe keys under memory pressure. Managed Redis may refuse CONFIG, so "unknown" is an answer too.
import type { Redis } from 'ioredis';

export type NoEvictionCheck = { readonly ok: true; readonly policy: 'noeviction' } | { readonly ok: false; readonly policy: string } | { readonly ok: 'unknown'; readonly reason: string };

export async function checkNoEviction(redis: Redis, opts: { timeoutMs?: number } = {}): Promise<NoEvictionCheck> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  // maxRetriesPerRequest is null, so a command waits for a reconnect forever: bound the check ourselves.
  const timeout = new Promise<NoEvictionCheck>((resolve) => {
    timer = setTimeout(() => resolve({ ok: 'unknown', reason: `no answer to CONFIG GET within ${timeoutMs} ms` }), timeoutMs);
  });
  const ask = (async (): Promise<NoEvictionCheck> => {
    try {
      const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown;
      const policy = Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : null;
      if (policy === null) return { ok: 'unknown', reason: 'CONFIG GET maxmemory-policy returned no value' };
      return policy === 'noeviction' ? { ok: true, policy } : { ok: false, policy };
    } catch (err) {
      return { ok: 'unknown', reason: `CONFIG GET refused: ${err instanceof Error ? err.message : String(err)}` };
    }
  })();
  try {
    return await Promise.race([ask, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
