// Bounding a wait on Redis (or any dependency): ioredis queues commands across reconnects (maxRetriesPerRequest:
// null, as BullMQ needs), so without a bound a Redis outage would hold a caller indefinitely.

/** Rejects when `p` takes longer than `ms`; the underlying operation is not cancelled (it may still complete). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
