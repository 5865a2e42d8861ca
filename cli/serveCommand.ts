// `keysteward serve`: the standalone host from environment configuration (hosts/config.ts). Stops cleanly on
// SIGINT/SIGTERM; a bad configuration or an unreadable / invalid estate is a one-line error and exit 2.
import { loadConfig } from '../hosts/config.js';
import { serve } from '../hosts/standalone/serve.js';
import { startTelemetry, type Telemetry } from '../adapters/telemetry/setup.js';
import { asUsageError } from './common.js';

export async function runServe(): Promise<void> {
  let host;
  let telemetry: Telemetry | null = null;
  try {
    const config = loadConfig(process.env);
    // Before any Azure SDK client is created (serve builds them), so their work runs inside the registered context.
    telemetry = await startTelemetry(config, 'serve');
    host = await serve(config, { host: process.env['HOST'] ?? '127.0.0.1' });
  } catch (err) {
    await telemetry?.shutdown();
    throw asUsageError(err);
  }
  const flush = telemetry;
  process.stdout.write(`keysteward serving on ${host.url} (dashboard ${host.url}/, health ${host.url}/api/health)\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      // Buffered spans and the last metrics are flushed after the host's own work has stopped.
      void host.close().finally(() => void flush.shutdown().finally(resolve));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
