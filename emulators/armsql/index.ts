// ARM SQL emulator (DESIGN.md §6): servers, managed instances, server keys, the TDE encryption protector, databases,
// replication links and failover groups as @azure/arm-sql 10 sends them, with Azure's validation and the
// geo-replication rule (a primary switches only to material its secondaries hold). It is served by the ARM emulator
// (../arm), which also serves subscriptions, Cosmos DB and Key Vault; `startArmSqlEmulator` starts that emulator
// without a throttling budget to exhaust.
export { startArmSqlEmulator } from './start.js';
export { keyVaultLookup } from './keyVaultLookup.js';
export { EMULATOR_ADMIN_OID } from './geoAdmin.js';
export type { KeyVaultLookupOptions } from './keyVaultLookup.js';
export type {
  ArmHistoryEntry,
  ArmSqlEmulator,
  ArmSqlEmulatorOptions,
  ArmWriteOperation,
  EmulatedFailoverGroup,
  EmulatedManagedInstance,
  EmulatedSqlDatabase,
  EmulatedSqlServer,
  GeoRole,
  InjectedArmError,
  KeyCheck,
  KeyCheckCaller,
  KeyLookup,
  KeyUnusableReason,
  SqlIdentityConfig,
} from './types.js';
