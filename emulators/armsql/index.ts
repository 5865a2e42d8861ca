// ARM SQL emulator (DESIGN.md §6): server keys and the TDE encryption protector as @azure/arm-sql sends them, with
// Azure's validation and the geo-replication rule (a primary switches only to material its secondaries hold).
export { startArmSqlEmulator } from './server.js';
export { keyVaultLookup } from './keyVaultLookup.js';
export type { KeyVaultLookupOptions } from './keyVaultLookup.js';
export type {
  ArmHistoryEntry,
  ArmSqlEmulator,
  ArmSqlEmulatorOptions,
  ArmWriteOperation,
  EmulatedSqlServer,
  GeoRole,
  InjectedArmError,
  KeyCheck,
  KeyCheckCaller,
  KeyLookup,
  KeyUnusableReason,
} from './types.js';
