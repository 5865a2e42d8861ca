// Executing rotation steps against the memory ledger and in-memory Key Vault / ARM fakes, with a fixed clock that
// the tests move: the step claim keeps a worker that stalled past its claim from importing a second version
// after another worker took the step over; a second worker waits while a live claim is held; a failed attempt hands
// the step back at once.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../adapters/logging/logger.js';
import { executeStep, StepNotReadyError, type RotationDeps } from '../../../app/rotation/executor.js';
import { MemoryRotationLedger } from '../../../app/rotation/memoryLedger.js';
import type { CreatedVersion, ProtectorSwitchPort, RotationKeys, RsaJwk } from '../../../app/rotation/ports.js';
import type { InventoryVersion } from '../../../domain/estate/model.js';
import { buildRotationPlan } from '../../../domain/rotation/plan.js';
import { newRun, type RotationRun } from '../../../domain/rotation/run.js';
import { estateFrom } from '../../support/estates.js';

const SUB = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers';
const estate = estateFrom({
  vaults: [
    { name: 'kv-eus', properties: { enableSoftDelete: true, enablePurgeProtection: true } },
    { name: 'kv-wus', properties: { enableSoftDelete: true, enablePurgeProtection: true } },
  ],
  protectors: [
    {
      id: 'orders',
      kind: 'sql-tde',
      keyName: 'orders-tde',
      members: [
        { role: 'primary', resourceId: `${SUB}/eus`, vault: 'kv-eus' },
        { role: 'secondary', resourceId: `${SUB}/wus`, vault: 'kv-wus' },
      ],
      rotation: { every: 'P90D', strategy: 'import', keySize: 2048 },
    },
  ],
});

/** A gate a fake call waits on until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** Key Vault in memory: versions per vault, imports recorded; wrap/unwrap are reversible stand-ins for the vault's. */
class FakeKeys implements RotationKeys {
  readonly versions = new Map<string, InventoryVersion[]>();
  readonly imports: Array<{ vault: string; tag: string | undefined }> = [];
  /** Runs before an unwrap (tests stall a worker here, before its fence). */
  beforeUnwrap: () => Promise<void> = async () => undefined;
  beforeImport: () => Promise<void> = async () => undefined;
  private n = 0;

  constructor(vaults: readonly string[]) {
    for (const v of vaults) this.versions.set(v, [this.version('seed', {})]);
  }

  private version(thumbprint: string, tags: Record<string, string>): InventoryVersion {
    this.n += 1;
    return { version: this.n.toString(16).padStart(32, '0'), thumbprint, enabled: true, exp: null, nbf: null, created: this.n, kty: 'RSA', size: 2048, tags };
  }

  async listVersions(vault: string): Promise<InventoryVersion[]> {
    return [...(this.versions.get(vault) ?? [])];
  }
  async importVersion(vault: string, _key: string, jwk: RsaJwk, tags: Readonly<Record<string, string>>): Promise<CreatedVersion> {
    await this.beforeImport();
    const v = this.version(jwk.n.slice(0, 43), { ...tags });
    this.versions.get(vault)?.push(v);
    this.imports.push({ vault, tag: tags['keysteward-rotation'] });
    return { kid: `https://${vault}.vault.azure.net/keys/orders-tde/${v.version}`, version: v.version, thumbprint: v.thumbprint };
  }
  async rotate(): Promise<CreatedVersion> {
    throw new Error('not used');
  }
  async tagVersion(): Promise<void> {
    throw new Error('not used');
  }
  async wrap(_vault: string, _key: string, _version: string, data: Buffer): Promise<string> {
    return Buffer.from(data).reverse().toString('base64url');
  }
  async unwrap(_vault: string, _key: string, _version: string, wrapped: string): Promise<Buffer> {
    await this.beforeUnwrap();
    return Buffer.from(wrapped, 'base64url').reverse();
  }
}

const noArm: ProtectorSwitchPort = {
  getProtector: async () => ({ serverKeyName: 'x', kid: null, serverKeyType: 'AzureKeyVault' }),
  addServerKey: async () => undefined,
  setProtector: async () => undefined,
};

async function rig() {
  let now = Date.parse('2026-11-22T10:00:00Z');
  let tokens = 0;
  const ledger = new MemoryRotationLedger();
  const keys = new FakeKeys(['kv-eus', 'kv-wus']);
  const deps: RotationDeps = {
    estate,
    ledger,
    keys,
    protectors: noArm,
    clock: { now: () => now },
    log: silentLogger,
    vaultUrl: (v) => `https://${v}.vault.azure.net/`,
    claimMs: 30_000,
    newToken: () => `worker-${++tokens}`,
  };
  const planned = buildRotationPlan({ estate, protectorId: 'orders', now });
  if (!planned.ok) throw new Error(planned.error);
  const run = newRun({ ...planned.plan, preflight: [] }, 'rot-orders-test-1', 'test', new Date(now).toISOString());
  await ledger.create(run);
  const stepOf = (kind: string, vault?: string) => run.steps.find((s) => s.kind === kind && (vault === undefined || s.vault === vault))?.n ?? -1;
  // Preflight and material first, so the tests start at the secondary's install.
  await executeStep(deps, run.id, stepOf('preflight'));
  await executeStep(deps, run.id, stepOf('create-material'));
  return { deps, keys, ledger, run, stepOf, advance: (ms: number) => void (now += ms) };
}

const stored = async (ledger: MemoryRotationLedger, id: string): Promise<RotationRun> => (await ledger.get(id))?.run as RotationRun;

describe('executeStep: step claims (R-2)', () => {
  it('a worker stalled past its claim does not import after another worker took the step over: one new version', async () => {
    const { deps, keys, ledger, run, stepOf, advance } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    const stall = gate();
    const stalled = gate();
    let first = true;
    keys.beforeUnwrap = async () => {
      if (!first) return;
      first = false;
      stalled.open();
      await stall.wait;
    };
    const a = executeStep(deps, run.id, n).then(() => 'done', (e: unknown) => e);
    await stalled.wait; // worker A holds the claim, unsealing the material... and stalls
    advance(31_000); // past A's claim, as when the queue hands the job to worker B
    expect(await executeStep(deps, run.id, n)).toBe('done');
    stall.open();
    const outcome = await a;
    expect(outcome).toBeInstanceOf(StepNotReadyError);
    expect(keys.imports).toEqual([{ vault: 'kv-wus', tag: run.id }]);
    const step = (await stored(ledger, run.id)).steps.find((s) => s.n === n);
    expect(step).toMatchObject({ status: 'done', attempts: 2 });
    expect(step?.claim).toBeUndefined();
  });

  it('while a live claim is held, another worker waits (StepNotReady) and imports nothing', async () => {
    const { deps, keys, run, stepOf } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    const importing = gate();
    const release = gate();
    keys.beforeImport = async () => {
      importing.open();
      await release.wait;
    };
    const a = executeStep(deps, run.id, n);
    await importing.wait;
    await expect(executeStep(deps, run.id, n)).rejects.toThrow(/being run by another worker/);
    release.open();
    expect(await a).toBe('done');
    expect(keys.imports).toHaveLength(1);
    // Once done, a late duplicate delivery is a no-op.
    expect(await executeStep(deps, run.id, n)).toBe('already-done');
  });

  it('a failed attempt gives its claim back: the retry runs at once, and the run stays consistent', async () => {
    const { deps, keys, ledger, run, stepOf } = await rig();
    const n = stepOf('install-version', 'kv-wus');
    let failures = 1;
    keys.beforeImport = async () => {
      if (failures-- > 0) throw new Error('503 from the vault');
    };
    await expect(executeStep(deps, run.id, n)).rejects.toThrow('503');
    expect((await stored(ledger, run.id)).steps.find((s) => s.n === n)?.claim).toBeUndefined();
    expect(await executeStep(deps, run.id, n)).toBe('done');
    expect(keys.imports).toHaveLength(1);
  });
});
