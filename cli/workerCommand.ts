// `keysteward worker`: a rotation worker alone (BullMQ), from the same environment configuration as `serve`.
// Run as many as needed; steps are idempotent, so a killed worker's step is safely re-run by another.
import { loadConfig } from '../hosts/config.js';
import { createServices } from '../hosts/composition.js';
import { startTelemetry, type Telemetry } from '../adapters/telemetry/setup.js';
import { asUsageError } from './common.js';

export async function runWorker(): Promise<void> {
  let services;
  let telemetry: Telemetry | null = null;
  try {
    const config = loadConfig(process.env);
    // Before the Azure SDK clients and the BullMQ worker are created.
    telemetry = await startTelemetry(config, 'worker');
    services = await createServices(config, { rotationWorker: true });
  } catch (err) {
    await telemetry?.shutdown();
    throw asUsageError(err);
  }
  const flush = telemetry;
  process.stdout.write('keysteward rotation worker started\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => void services.close().finally(() => void flush.shutdown().finally(resolve));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
