// Key Vault emulator (DESIGN.md §6): the keys REST subset @azure/keyvault-keys uses, over HTTPS, with per-principal
// access control, firewall, throttling and an AuditEvent record for every request.
export { startKeyVaultEmulator, defaultResourceId } from './server.js';
export { CHALLENGE_RESOURCE } from './vaultService.js';
export { ALL_KEY_PERMISSIONS } from './types.js';
export type { KeyVaultFault } from './faults.js';
export type {
  AuditKeyProperties,
  EmulatedKeyVersion,
  AuditProperties,
  AuditRecord,
  EmulatedVault,
  KeyPermission,
  KeyVaultEmulator,
  KeyVaultEmulatorOptions,
  KeyVaultLimits,
  NetworkAcls,
} from './types.js';
