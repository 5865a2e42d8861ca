// `keysteward serve`: the standalone host from environment configuration (hosts/config.ts). Stops cleanly on
// SIGINT/SIGTERM; a bad configuration or an unreadable / invalid estate is a one-line error and exit 2.
import { loadConfig } from '../hosts/config.js';
import { serve } from '../hosts/standalone/serve.js';
import { asUsageError } from './common.js';

export async function runServe(): Promise<void> {
  let host;
  try {
    host = await serve(loadConfig(process.env), { host: process.env['HOST'] ?? '127.0.0.1' });
  } catch (err) {
    throw asUsageError(err);
  }
  process.stdout.write(`keysteward serving on ${host.url} (dashboard ${host.url}/, health ${host.url}/api/health)\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void host.close().finally(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
