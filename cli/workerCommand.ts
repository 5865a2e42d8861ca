// `keysteward worker`: a rotation worker alone (BullMQ), from the same environment configuration as `serve`.
// Run as many as needed; steps are idempotent, so a killed worker's step is safely re-run by another.
import { loadConfig } from '../hosts/config.js';
import { createServices } from '../hosts/composition.js';
import { asUsageError } from './common.js';

export async function runWorker(): Promise<void> {
  let services;
  try {
    services = await createServices(loadConfig(process.env), { rotationWorker: true });
  } catch (err) {
    throw asUsageError(err);
  }
  process.stdout.write('keysteward rotation worker started\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => void services.close().finally(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
