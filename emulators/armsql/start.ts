// The ARM emulator as the key-rotation paths (adapters, rotation bench, local stack) have always started it: with a
// throttling budget they never exhaust unless they ask for one, so rotation figures measure the vaults, not ARM.
// Discovery starts the ARM emulator itself (../arm), with ARM's real budgets by default.
import { startArmEmulator } from '../arm/server.js';
import { UNTHROTTLED } from '../arm/throttle.js';
import type { ArmEmulator, ArmEmulatorOptions } from '../arm/types.js';

export function startArmSqlEmulator(o: ArmEmulatorOptions): Promise<ArmEmulator> {
  return startArmEmulator({ throttling: UNTHROTTLED, ...o });
}
