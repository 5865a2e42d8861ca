// One Azurite per test file: started in beforeAll, stopped (processes gone, temp dir removed) in afterAll.
import { afterAll, beforeAll } from 'vitest';
import type { TableConnection } from '../../adapters/tables/connection.js';
import { startAzurite, type Azurite } from '../../hosts/local/azurite.js';

export interface TestAzurite {
  readonly azurite: Azurite;
  readonly connection: TableConnection;
  /** How long the start took, for the curious (never asserted: timing tests are flaky). */
  readonly startMs: number;
}

/** Registers the hooks; call the returned function inside tests (after beforeAll ran). */
export function useAzurite(): () => TestAzurite {
  let current: TestAzurite | null = null;
  beforeAll(async () => {
    const t0 = performance.now();
    const azurite = await startAzurite();
    current = { azurite, connection: { connectionString: azurite.connectionString }, startMs: Math.round(performance.now() - t0) };
    if (process.env.KEYSTEWARD_TIMINGS === '1') process.stderr.write(`azurite started in ${current.startMs} ms\n`);
  }, 60_000);
  afterAll(async () => {
    await current?.azurite.close();
    current = null;
  });
  return () => {
    if (current === null) throw new Error('useAzurite(): Azurite is not running (call the getter inside a test)');
    return current;
  };
}

let tables = 0;
/** A table name no other test in this process uses (Table names: 3–63 letters and digits, starting with a letter). */
export function uniqueTableName(base: string): string {
  tables += 1;
  return `${base}${process.pid}t${tables}`;
}
