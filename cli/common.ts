import { EstateFileError, loadEstateFile } from '../adapters/files/estateFile.js';
import { ConfigError } from '../hosts/config.js';
import type { Estate } from '../domain/estate/model.js';
import { parseInstant, type Millis } from '../domain/time.js';
import { UsageError } from './usageError.js';

export async function loadEstateOrUsage(path: string): Promise<Estate> {
  try {
    return await loadEstateFile(path);
  } catch (err) {
    if (err instanceof EstateFileError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * For the long-running commands (serve, worker): a bad setting or an unreadable / invalid estate named by the
 * environment is the user's to fix — a UsageError (one line, exit 2), like `replay`; anything else is unchanged.
 */
export function asUsageError(err: unknown): unknown {
  return err instanceof ConfigError || err instanceof EstateFileError ? new UsageError(err.message) : err;
}

export function parseNowOption(now: string | undefined): Millis | undefined {
  if (now === undefined) return undefined;
  const ms = parseInstant(now);
  if (ms === null) throw new UsageError(`--now must be an ISO-8601 instant with a time zone, e.g. 2026-03-03T03:00:00Z (got "${now}")`);
  return ms;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
