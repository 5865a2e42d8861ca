// `keysteward serve`: the standalone host from environment configuration (hosts/config.ts). Stops cleanly on
// SIGINT/SIGTERM; a bad configuration is a one-line error and exit 2.
import { ConfigError, loadConfig } from '../hosts/config.js';
import { serve } from '../hosts/standalone/serve.js';
import { UsageError } from './usageError.js';

export async function runServe(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  let host;
  try {
    host = await serve(config, { host: process.env['HOST'] ?? '127.0.0.1' });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
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
