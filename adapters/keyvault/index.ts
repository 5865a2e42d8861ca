// Key Vault adapter over @azure/keyvault-keys: live inventory, thumbprints, typed errors.
export { createKeyVaultInventoryReader, toInventoryVersion } from './inventoryReader.js';
export type { KeyVaultInventoryReader, KeyVaultInventoryReaderOptions } from './inventoryReader.js';
export { ecThumbprint, rsaModulusBits, rsaThumbprint } from './thumbprint.js';
export {
  KeyVaultError,
  KeyVaultForbiddenError,
  KeyVaultNotFoundError,
  KeyVaultThrottledError,
  KeyVaultUnauthenticatedError,
  toKeyVaultError,
} from './errors.js';
export type { KeyVaultCallSite } from './errors.js';
