// ARM emulator (DESIGN.md §6): https://localhost:<port> standing for https://management.azure.com — subscriptions,
// Microsoft.Sql (../armsql), Microsoft.DocumentDB accounts and Always Encrypted keys, Microsoft.KeyVault vaults and
// Managed HSMs — with `nextLink` paging, ARM's throttling headers and 429s, a call counter, and activity-log records
// of every write, failover and admin change.
export { startArmEmulator } from './server.js';
export type { ArmEmulator, ArmEmulatorOptions } from './types.js';
export type { ActivityRecord } from './activity.js';
export type { ArmCallCounts } from './calls.js';
export type { EmulatedClientEncryptionKey, EmulatedCosmosAccount } from './cosmos.js';
export type { EmulatedArmVault, EmulatedManagedHsm } from './keyVault.js';
export type { EmulatedInstanceFailoverGroup } from './managedInstanceReads.js';
export type { EmulatedSubscription } from './subscriptions.js';
export { UNTHROTTLED } from './throttle.js';
export type { ArmThrottling, TokenBucket } from './throttle.js';
