// The seeded topology generator and its Key Vault seeding (issue 8): an estate for the ARM emulator, the keys for the
// Key Vault emulator, and the protectors discovery must find.
export { asExpected } from './expected.js';
export { generateTopology } from './generate.js';
export { splittable } from './sqlTopology.js';
export { pointAtVaults } from './localize.js';
export { seedKeyVault, startTopologyKeyVault, TOPOLOGY_ADMIN_OID, VersionFeed } from './seedKeyVault.js';
export type { SeedOptions, TopologyKeyVault } from './seedKeyVault.js';
export type { ExpectedEstate, ExpectedMember, ExpectedProtector, GeneratedTopology, Range, TopologyKey, TopologyOptions, TopologySizes } from './types.js';
