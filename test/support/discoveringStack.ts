// The local stack the discovery e2e tests share: discovery re-reading within a second of a change, no rotation worker,
// no simulated traffic or timers, and Event Hubs deliveries only when the test flushes the stand-in.
import { silentLogger } from '../../adapters/logging/logger.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../hosts/local/stack.js';

export function startDiscoveringStack(o: Pick<LocalStackOptions, 'estatePath' | 'overridesPath'>): Promise<LocalStack> {
  return startLocalStack({
    ...o,
    port: 0,
    log: silentLogger,
    trafficEveryMs: 0,
    timers: false,
    feedIntervalMs: 600_000,
    env: { DISCOVERY_POLL_SECONDS: '1', DISCOVERY_DEBOUNCE_SECONDS: '1', ROTATION_WORKER: 'false' },
  });
}
