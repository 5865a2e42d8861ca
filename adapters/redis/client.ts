// The one place Redis clients are made. Redis holds only short-lived dedupe keys, heartbeats and (later) BullMQ
// queues (DESIGN.md §2); nothing durable, so a lost Redis costs duplicate work, never lost requests.
import { Redis } from 'ioredis';

/** Every key this service writes starts with this, so a shared Redis can be inspected and cleaned by prefix. */
export const KEY_PREFIX = 'keysteward:';

export interface RedisClientOptions {
  /** Receives connection errors (already redacted of credentials); default: one stderr line per distinct message. */
  readonly onError?: (message: string) => void;
  /** CLIENT SETNAME, visible in CLIENT LIST. */
  readonly name?: string;
}

export function createRedis(url: string, opts: RedisClientOptions = {}): Redis {
  const redis = new Redis(url, {
    // BullMQ requires it (reliability.md B5), and it keeps commands queued across reconnects instead of failing them.
    maxRetriesPerRequest: null,
    lazyConnect: false,
    ...(opts.name === undefined ? {} : { connectionName: opts.name }),
  });
  const where = redactRedisUrl(url);
  let last = '';
  const report =
    opts.onError ??
    ((message: string) => {
      // Reconnect loops repeat the same error every few hundred ms: log each distinct message once in a row.
      if (message === last) return;
      last = message;
      process.stderr.write(`keysteward: redis ${where}: ${message}\n`);
    });
  // Without a listener ioredis prints "Unhandled error event" with the full error; ours never carries the URL's password.
  redis.on('error', (err: Error) => report(redactText(err.message, url)));
  return redis;
}

/** The URL without user name or password: safe for logs (I8). */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username !== '' || u.password !== '') {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return '<unparseable redis url>';
  }
}

function redactText(text: string, url: string): string {
  try {
    const { password } = new URL(url);
    return password === '' ? text : text.split(decodeURIComponent(password)).join('***').split(password).join('***');
  } catch {
    return text;
  }
}
