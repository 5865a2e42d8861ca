// ArmInventory (app/discovery/ports.ts) over the ARM SDKs: one module per SDK, composed here.
import type { ArmInventory } from '../../app/discovery/ports.js';
import type { ArmClientOptions } from './clients.js';
import { createCosmosInventory } from './cosmosInventory.js';
import { createKeyVaultInventory } from './keyVaultInventory.js';
import { createSqlInventory } from './sqlInventory.js';
import { createSubscriptionReads } from './subscriptions.js';

export { ARM_ENDPOINT, RequestCounter } from './clients.js';
export type { ArmClientOptions } from './clients.js';
export { ArmCredentialError, ArmReadError } from './errors.js';

export function createArmInventory(o: ArmClientOptions): ArmInventory {
  return { ...createSubscriptionReads(o), ...createSqlInventory(o), ...createCosmosInventory(o), ...createKeyVaultInventory(o) };
}
