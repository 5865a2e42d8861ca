// A real `keysteward worker` process against a local stack started in the test (hosts/local/stack.ts): the same
// Table Storage, Redis prefix, emulators and estate as the stack's host, so it runs the host's rotation steps.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LocalStack } from '../../hosts/local/stack.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export function spawnLocalWorker(stack: LocalStack, env: Record<string, string> = {}): ChildProcess {
  const c = stack.config;
  return spawn(process.execPath, [CLI, 'worker'], {
    env: {
      ...process.env,
      KEYSTEWARD_MODE: 'local', KEYSTEWARD_ESTATE: c.KEYSTEWARD_ESTATE, COSMOS_CARDS_KEY: stack.cosmos.masterKey, STORAGE_CONNECTION_STRING: c.STORAGE_CONNECTION_STRING ?? '', REDIS_URL: c.REDIS_URL,
      REDIS_KEY_PREFIX: c.REDIS_KEY_PREFIX, KEYVAULT_URL_TEMPLATE: c.KEYVAULT_URL_TEMPLATE, ARM_ENDPOINT: c.ARM_ENDPOINT, ROTATION_LOCK_MS: '3000', LOG_LEVEL: 'silent', ...stack.itsm.env,
      ...env,
    },
    stdio: 'ignore',
  });
}
