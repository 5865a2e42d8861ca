// Cosmos DB emulator subset (DESIGN.md §6): account discovery, databases and Always Encrypted client encryption
// keys (create, read, replace with If-Match, the REST read feed) as @azure/cosmos 4.9.3 sends them over HTTPS, with
// master-key signatures, AAD tokens with per-principal data-plane roles, and injected throttling.
export { startCosmosEmulator, DEV_MASTER_KEY, EMULATED_ACCOUNT } from './server.js';
export type { CekWrapMetadata, CosmosEmulator, CosmosEmulatorOptions, CosmosRole, CosmosWriteEntry, SeedCek, StoredCek } from './types.js';
