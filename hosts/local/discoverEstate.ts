// The local stack's estate, built by discovery (issue 8): `npm start` reads the demo's Azure from the ARM emulator
// (and the keys' facts from the Key Vault emulator) exactly as `keysteward discover` does — the same configuration,
// composition and use case — and merges it with the hand-edits file (demo/estate-overrides.yaml: protector ids,
// rotation schedules, autoheal windows, Always Encrypted key settings, notifications — what Azure cannot say). The
// result is written as YAML, with the comments `discover` writes, for the host to read as its estate file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { discoverEstateDraft, type DiscoveredDraft } from '../../app/discovery/estateDraft.js';
import { loadEstateDocument } from '../../adapters/files/estateFile.js';
import { renderEstate } from '../../adapters/files/estateYaml.js';
import { loadDiscoveryConfig } from '../config.js';
import { createDiscoveryServices } from '../discovery.js';

export interface LocalDiscovery extends DiscoveredDraft {
  /** The merged estate file the host reads. */
  readonly estatePath: string;
  /** The environment `keysteward discover` needs to read the same emulators (besides NODE_EXTRA_CA_CERTS). */
  readonly env: Readonly<Record<string, string>>;
  /** The command line that reproduces `estatePath` (run with `env` set). */
  readonly command: string;
  readonly armCalls: number;
  readonly keyVaultCalls: number;
  close(): Promise<void>;
}

export async function discoverLocalEstate(o: { readonly armEndpoint: string; readonly overridesPath: string }): Promise<LocalDiscovery> {
  const env = { KEYSTEWARD_MODE: 'local', ARM_ENDPOINT: o.armEndpoint };
  const services = createDiscoveryServices(loadDiscoveryConfig({ ...process.env, ...env }));
  const overrides = await loadEstateDocument(o.overridesPath);
  const found = await discoverEstateDraft({ arm: services.arm, keys: services.keys }, {}, { doc: overrides, name: basename(o.overridesPath) });
  const dir = await mkdtemp(join(tmpdir(), 'keysteward-discovered-'));
  const estatePath = join(dir, 'estate.yaml');
  await writeFile(estatePath, renderEstate(found.draft, 'yaml'));
  return {
    ...found,
    estatePath,
    env,
    command: `npx keysteward discover --merge ${relative(process.cwd(), o.overridesPath) || o.overridesPath} --out estate.yaml`,
    armCalls: services.armRequests.calls,
    keyVaultCalls: services.keyVaultRequests.calls,
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
