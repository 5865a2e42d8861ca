// Public types of the ARM emulator (DESIGN.md §6): one HTTPS endpoint standing for https://management.azure.com that
// serves what the management SDKs read for estate discovery — subscriptions, SQL (armsql/), Cosmos DB, Key Vault —
// with ARM's paging, throttling and activity-log records.
import type { ArmSqlEmulator, ArmSqlEmulatorOptions, EmulatedSqlServer, SqlIdentityConfig } from '../armsql/types.js';
import type { ActivityRecord } from './activity.js';
import type { ArmCallCounts } from './calls.js';
import type { EmulatedCosmosAccount } from './cosmos.js';
import type { EmulatedArmVault, EmulatedManagedHsm } from './keyVault.js';
import type { EmulatedInstanceFailoverGroup } from './managedInstanceReads.js';
import type { EmulatedSubscription } from './subscriptions.js';
import type { ArmThrottling } from './throttle.js';

export interface ArmEmulatorOptions extends Omit<ArmSqlEmulatorOptions, 'servers'> {
  readonly servers?: readonly EmulatedSqlServer[];
  /** Subscriptions with names and readers; every subscription a resource names exists even when not listed here. */
  readonly subscriptions?: readonly EmulatedSubscription[];
  readonly cosmosAccounts?: readonly EmulatedCosmosAccount[];
  readonly vaults?: readonly EmulatedArmVault[];
  readonly managedHsms?: readonly EmulatedManagedHsm[];
  /** Managed-instance failover groups (one primary and one secondary instance each). */
  readonly instanceFailoverGroups?: readonly EmulatedInstanceFailoverGroup[];
  /** Tenant of the subscriptions, vaults and activity records. Default the zero GUID (LocalEmulatorCredential's). */
  readonly tenantId?: string;
  /** Default ARM's token buckets (reads 250 + 25/s per subscription), nothing forced. */
  readonly throttling?: ArmThrottling;
  /** Called with the Start and Success records of each ARM write, action or admin change. Must not throw. */
  readonly onActivity?: (records: readonly ActivityRecord[]) => void;
}

export interface ArmEmulator extends ArmSqlEmulator {
  /** Requests received by SDK operation (each page of a listing is one), and how many were answered 429. */
  calls(): ArmCallCounts;
  resetCalls(): void;
  /** Replaces the throttling settings (and refills every bucket). */
  setThrottling(throttling: ArmThrottling): void;
  /** Items per page of paged listings from now on. */
  setPageSize(pageSize: number): void;
  /** Every activity-log record written so far, in order. */
  activity(): readonly ActivityRecord[];
  /** Admin: links `secondary` (a server in no geo-group) to the primary `primary`, optionally into a failover group of the primary's. */
  addSecondary(primary: string, secondary: string, o?: { readonly failoverGroup?: string }): void;
  /** Admin: deletes a secondary's geo links (and takes it out of its failover groups). */
  removeSecondary(secondary: string): void;
  /** Admin: replaces a server's or managed instance's identity (its principal ids change). */
  setIdentity(server: string, identity: SqlIdentityConfig): void;
}
