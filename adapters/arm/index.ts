// ArmInventory (app/discovery/ports.ts) over the ARM SDKs: one module per SDK, composed here.
import type { ArmInventory } from '../../app/discovery/ports.js';
import type { ArmClientOptions } from './clients.js';
import { ArmPacer } from './pacing.js';
import { createCosmosInventory } from './cosmosInventory.js';
import { createKeyVaultInventory } from './keyVaultInventory.js';
import { createSqlInventory } from './sqlInventory.js';
import { createSubscriptionReads } from './subscriptions.js';

export { ARM_ENDPOINT, RequestCounter } from './clients.js';
export type { ArmClientOptions } from './clients.js';
export { ArmCredentialError, ArmReadError } from './errors.js';
export { ArmPacer } from './pacing.js';

/** Every client of the inventory shares one pacer: ARM's budget is per subscription, whichever SDK spends it. */
export function createArmInventory(o: ArmClientOptions): ArmInventory {
  const shared: ArmClientOptions = { ...o, pacer: o.pacer ?? new ArmPacer() };
  return { ...createSubscriptionReads(shared), ...createSqlInventory(shared), ...createCosmosInventory(shared), ...createKeyVaultInventory(shared) };
}
