// A generated topology names vaults by their Azure URIs (`https://<vault>.vault.azure.net/`); to run it against the
// Key Vault emulator, every vault and key URI in it — the ARM vaults' `vaultUri`, protectors, Cosmos DB key URIs,
// client encryption keys' wrapping keys, the expected vault facts — is re-pointed at the emulator's vault URLs.
import type { GeneratedTopology } from './types.js';

const AZURE_VAULT_URI = /https:\/\/([0-9a-z-]+)\.vault\.azure\.net\//g;

/** The topology with `https://<vault>.vault.azure.net/` replaced by `vaultUrl(<vault>)` (which must end with `/`). */
export function pointAtVaults(topology: GeneratedTopology, vaultUrl: (vault: string) => string): GeneratedTopology {
  // The topology is plain data (no functions, no dates): a JSON round trip copies all of it.
  return JSON.parse(JSON.stringify(topology).replace(AZURE_VAULT_URI, (_, vault: string) => vaultUrl(vault))) as GeneratedTopology;
}
