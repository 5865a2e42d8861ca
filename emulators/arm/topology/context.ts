// What every part of the generator shares: the seeded random source, the regions, the subscriptions, the vaults by
// region, and the keys named so far (each one a version the Key Vault emulator must hold).
import type { EmulatedArmVault } from '../keyVault.js';
import type { SeededRandom } from './random.js';
import type { TopologyKey } from './types.js';

export interface Region {
  readonly name: string;
  readonly short: string;
}

/** Enough distinct regions for a five-server geo-group, and some to spare. */
export const REGIONS: readonly Region[] = [
  { name: 'eastus', short: 'eus' },
  { name: 'westus', short: 'wus' },
  { name: 'northeurope', short: 'neu' },
  { name: 'westeurope', short: 'weu' },
  { name: 'uksouth', short: 'uks' },
  { name: 'southeastasia', short: 'sea' },
  { name: 'australiaeast', short: 'aue' },
  { name: 'centralus', short: 'cus' },
];

export const APPS: readonly string[] = ['orders', 'billing', 'ledger', 'payments', 'catalog', 'identity', 'claims', 'inventory', 'pricing', 'shipping'];

export interface GeneratedVault {
  readonly name: string;
  readonly region: Region;
  readonly config: EmulatedArmVault & Required<Pick<EmulatedArmVault, 'softDelete' | 'softDeleteRetentionDays' | 'purgeProtection' | 'rbac' | 'networkAcls'>>;
}

export class TopologyContext {
  readonly keys: TopologyKey[] = [];

  constructor(
    readonly rng: SeededRandom,
    readonly regions: readonly Region[],
    readonly subscriptions: readonly string[],
    readonly vaultsByRegion: ReadonlyMap<string, readonly GeneratedVault[]>,
  ) {}

  /** A vault in the region (every region in use has at least one). */
  vaultIn(region: Region): GeneratedVault {
    return this.rng.pick(this.vaultsByRegion.get(region.name) ?? []);
  }

  /**
   * Names a new version of `key` in `vault`, holding `material`, and returns its URI. Geo-group members name the same
   * material in their own vaults (each import gets its own version id).
   */
  keyVersion(vault: GeneratedVault, key: string, material: string, expires: boolean): string {
    const version = this.rng.hex(32);
    this.keys.push({ vault: vault.name, name: key, version, material, expires });
    return `${vaultUri(vault.name)}keys/${key}/${version}`;
  }

  resourceGroup(app: string, region: Region): string {
    return `rg-${app}-${region.short}`;
  }
}

/** Azure's data-plane URI of a vault; `pointAtVaults` re-points them at an emulator. */
export const vaultUri = (vault: string): string => `https://${vault}.vault.azure.net/`;

export const pad = (n: number, width: number): string => String(n).padStart(width, '0');
