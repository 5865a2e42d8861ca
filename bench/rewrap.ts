// DEK rewrap throughput (DESIGN.md §7 "≥ 90% of the vault's configured throughput ceiling against the Key Vault
// emulator, with zero lost or double-wrapped DEKs"). For `npm run bench` (contract keys rewrap.dekPerSec,
// rewrap.ceilingPerSec, rewrap.ratioOfCeiling, rewrap.lost, rewrap.doubleWrapped); it starts and stops its own
// emulator and Azurite, and imports nothing from test/ so it can move to bench/ as it is.
//
// What is counted:
// - ceiling: the emulator's per-vault budget — Azure's documented 4,000 software RSA-2048 operations per 10 s
//   (K1) unless `ceiling` says otherwise — in rewraps/s: each rewrap spends two remote operations, the unwrap under
//   the old version and the verification unwrap of the new value under the new one (both weight 1 for a software
//   RSA-2048 key); the wrap is local. So 400 ops/s = 200 rewraps/s.
// - dekPerSec: DEKs rewrapped divided by the campaign's whole wall time: fetching both public keys, every store
//   page, every compare-and-set and the final fresh scan included. Seeding and the audit afterwards are not.
// - lost: seeded DEKs that, afterwards, are missing, not on the new version, or do not decrypt (with the new
//   version's private key, which the bench generated and imported) to their original plaintext's SHA-256.
// - doubleWrapped: DEKs whose row was written (successful compare-and-set) more than once.
// The emulator runs in a worker thread: its RSA private-key work is the vault's cost, which in Azure runs on other
// machines, and on one event loop it would be charged to the campaign.
import { KeyClient, type JsonWebKey } from '@azure/keyvault-keys';
import type { KeyClientOptions } from '@azure/keyvault-keys';
import { constants, createHash, createPrivateKey, generateKeyPairSync, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LocalEmulatorCredential, type LocalPrincipal } from '../adapters/azure/localCredential.js';
import { localPolicies } from '../adapters/azure/localNetwork.js';
import { TableDekStore } from '../adapters/dekstore/tableDekStore.js';
import { createKeyWrapper } from '../adapters/keyvault/crypto/index.js';
import { silentLogger } from '../adapters/logging/logger.js';
import type { Logger } from '../app/ports.js';
import { runRewrapCampaign } from '../app/rewrap/campaign.js';
import type { DekFilter, DekPage, DekRecord, DekStore, NewDek, Rewrapped } from '../app/rewrap/ports.js';
import { AZURE_VAULT_CEILING, rewrapCeilingPerSec, sustainableRatePerSec, type VaultCeiling } from '../domain/rewrap/budget.js';
import { canonicalKid } from '../domain/rewrap/kid.js';
import { DEFAULT_CERT_DIR, ensureDevCertificate, type DevCertificate } from '../emulators/certs.js';
import { startKeyVaultEmulator } from '../emulators/keyvault/index.js';
import { startAzurite } from '../hosts/local/azurite.js';

export interface BenchRewrapOptions {
  readonly deks?: number;
  readonly concurrency?: number;
  /** The vault's ceiling the emulator enforces. Default Azure's: 4,000 units per 10 s. */
  readonly ceiling?: VaultCeiling;
  /** Pipeline policies for the SDK clients. Default localPolicies() (needs NODE_EXTRA_CA_CERTS = the dev cert). */
  readonly additionalPolicies?: KeyClientOptions['additionalPolicies'];
  /** The campaign's logger (default silent). */
  readonly logger?: Logger;
}

export interface BenchRewrapResult {
  readonly dekPerSec: number;
  readonly ceilingPerSec: number;
  readonly ratioOfCeiling: number;
  readonly lost: number;
  readonly doubleWrapped: number;
  readonly deks: number;
  readonly complete: boolean;
  readonly elapsedMs: number;
  readonly unwrapsPerSec: number;
  /** 429s the emulator answered during the run. */
  readonly throttled: number;
  /** What the campaign was allowed to spend (units/s) against the ceiling's units/s. */
  readonly budgetUnitsPerSec: number;
  readonly ceilingUnitsPerSec: number;
  readonly emulator: 'worker' | 'in-process';
}

const VAULT = 'kv-bench';
const KEY = 'dek-kek';
const ADMIN: LocalPrincipal = { oid: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' };
const REWRAPPER: LocalPrincipal = { oid: '7e7e7e7e-1111-4222-8333-444444444444' };
/** Units the bucket may save up: lets the campaign catch up after a stall (GC, a busy host) at a cost of 1% of its rate. */
const BURST = 40;
/** Jitter allowance between a send and the vault's clock reading it (event loops, loopback). */
const GUARD_MS = 200;

interface Emulator {
  readonly vaultUrl: string;
  throttled(): Promise<number>;
  close(): Promise<void>;
}

/** The compiled emulator module (dist/emulators/keyvault/index.js), from wherever this file runs. */
function compiledEmulatorModule(): string | null {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'emulators/keyvault/index.js'), join(dir, 'dist/emulators/keyvault/index.js')]) if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

// CommonJS (eval'd workers are): the emulator, its grants, and a tiny message protocol.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { startKeyVaultEmulator } = await import(workerData.moduleUrl);
  const em = await startKeyVaultEmulator({ tls: workerData.tls, vaults: [{ name: workerData.vault }], limits: workerData.limits });
  for (const g of workerData.grants) em.grant(workerData.vault, g.oid, g.permissions);
  parentPort.on('message', async (m) => {
    if (m === 'throttled') parentPort.postMessage({ throttled: em.auditLog().filter((r) => r.properties.httpStatusCode === 429).length });
    if (m === 'close') { await em.close(); parentPort.postMessage({ closed: true }); }
  });
  parentPort.postMessage({ ready: em.vaultUrl(workerData.vault) });
})().catch((e) => parentPort.postMessage({ error: String((e && e.message) || e) }));
`;

async function startEmulator(cert: DevCertificate, ceiling: VaultCeiling): Promise<Emulator & { kind: 'worker' | 'in-process' }> {
  const limits = { windowMs: ceiling.windowMs, rsa2048: ceiling.units };
  const grants = [
    { oid: ADMIN.oid, permissions: 'all' as const },
    { oid: REWRAPPER.oid, permissions: ['get', 'wrapKey', 'unwrapKey'] as const },
  ];
  const modulePath = compiledEmulatorModule();
  if (modulePath === null) {
    const em = await startKeyVaultEmulator({ tls: { cert: cert.certPem, key: cert.keyPem }, vaults: [{ name: VAULT }], limits });
    for (const g of grants) em.grant(VAULT, g.oid, g.permissions === 'all' ? 'all' : [...g.permissions]);
    return {
      kind: 'in-process',
      vaultUrl: em.vaultUrl(VAULT),
      throttled: async () => em.auditLog().filter((r) => r.properties.httpStatusCode === 429).length,
      close: () => em.close(),
    };
  }
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { moduleUrl: pathToFileURL(modulePath).href, tls: { cert: cert.certPem, key: cert.keyPem }, vault: VAULT, limits, grants },
  });
  const reply = <T>(pick: (m: Record<string, unknown>) => T | undefined): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>): void => {
        if (typeof m.error === 'string') return finish(() => reject(new Error(`emulator worker: ${m.error as string}`)));
        const v = pick(m);
        if (v !== undefined) finish(() => resolve(v));
      };
      const onError = (e: Error): void => finish(() => reject(e));
      const finish = (then: () => void): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        then();
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
    });
  const vaultUrl = await reply((m) => (typeof m.ready === 'string' ? m.ready : undefined));
  return {
    kind: 'worker',
    vaultUrl,
    throttled: () => {
      const p = reply((m) => (typeof m.throttled === 'number' ? m.throttled : undefined));
      worker.postMessage('throttled');
      return p;
    },
    close: async () => {
      const p = reply((m) => (m.closed === true ? true : undefined));
      worker.postMessage('close');
      await p;
      await worker.terminate();
    },
  };
}

/** Counts successful compare-and-sets per DEK: the double-wrap evidence. */
class CountingStore implements DekStore {
  readonly writes = new Map<string, number>();
  constructor(private readonly inner: DekStore) {}
  insert(dek: NewDek): Promise<'ok' | 'exists'> {
    return this.inner.insert(dek);
  }
  get(id: string): Promise<DekRecord | null> {
    return this.inner.get(id);
  }
  list(filter: DekFilter, pageToken?: string, pageSize?: number): Promise<DekPage> {
    return this.inner.list(filter, pageToken, pageSize);
  }
  countByKid(filter?: DekFilter): Promise<Map<string, number>> {
    return this.inner.countByKid(filter);
  }
  async compareAndSet(id: string, expectedKid: string, next: Rewrapped, etag: string): Promise<'ok' | 'conflict'> {
    const r = await this.inner.compareAndSet(id, expectedKid, next, etag);
    if (r === 'ok') this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
    return r;
  }
}

function rsaMaterial(): { jwk: JsonWebKey; privateKey: KeyObject } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const j = privateKey.export({ format: 'jwk' });
  const b = (v: string | undefined): Uint8Array => Buffer.from(v ?? '', 'base64url');
  return { jwk: { kty: 'RSA', n: b(j.n), e: b(j.e), d: b(j.d), p: b(j.p), q: b(j.q), dp: b(j.dp), dq: b(j.dq), qi: b(j.qi), keyOps: ['wrapKey', 'unwrapKey'] }, privateKey: createPrivateKey({ key: j, format: 'jwk' }) };
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('base64url');
const round = (n: number, digits: number): number => Number(n.toFixed(digits));

export async function benchRewrap(o: BenchRewrapOptions = {}): Promise<BenchRewrapResult> {
  const count = o.deks ?? 2000;
  const ceiling = o.ceiling ?? AZURE_VAULT_CEILING;
  const policies = o.additionalPolicies ?? localPolicies();
  const cert = await ensureDevCertificate(DEFAULT_CERT_DIR);
  const emulator = await startEmulator(cert, ceiling);
  const azurite = await startAzurite().catch(async (err: unknown) => {
    await emulator.close();
    throw err;
  });
  try {
    const admin = new KeyClient(emulator.vaultUrl, new LocalEmulatorCredential(ADMIN), { additionalPolicies: policies });
    const m1 = rsaMaterial();
    const m2 = rsaMaterial();
    const v1 = canonicalKid((await admin.importKey(KEY, m1.jwk)).id ?? '');

    // Seed: DEKs wrapped locally under v1, remembered only by the SHA-256 of their plaintext.
    const wrapper = createKeyWrapper({ credential: new LocalEmulatorCredential(REWRAPPER), additionalPolicies: policies });
    const inner = new TableDekStore({ connectionString: azurite.connectionString }, { tableName: `rewrapbench${process.pid}` });
    const key1 = await wrapper.wrappingKey(v1);
    const seeded = new Map<string, string>();
    for (let i = 0; i < count; i += 32) {
      await Promise.all(
        Array.from({ length: Math.min(32, count - i) }, async (_, j) => {
          const id = `dek-${String(i + j).padStart(6, '0')}`;
          const plaintext = randomBytes(32);
          const fingerprint = sha256(plaintext);
          const wrapped = wrapper.wrapLocally(key1, 'RSA-OAEP-256', plaintext).toString('base64url');
          plaintext.fill(0);
          seeded.set(id, fingerprint);
          await inner.insert({ id, kid: v1, alg: 'RSA-OAEP-256', wrapped, fingerprint });
        }),
      );
    }
    // Rotate by import (identical-material strategy, DESIGN.md §4.1): the bench keeps v2's private key to audit.
    const v2 = canonicalKid((await admin.importKey(KEY, m2.jwk)).id ?? '');

    const store = new CountingStore(inner);
    const budgetUnitsPerSec = sustainableRatePerSec(ceiling, { burst: BURST, guardMs: GUARD_MS });
    const throttledBefore = await emulator.throttled();
    const summary = await runRewrapCampaign(
      { store, wrapper, clock: { now: () => Date.now() }, logger: o.logger ?? silentLogger },
      { fromKid: v1, toKid: v2, vaultBudgetPerSec: budgetUnitsPerSec, vaultBurst: BURST, concurrency: o.concurrency ?? 32 },
    );
    const throttled = (await emulator.throttled()) - throttledBefore;

    // Audit, outside the measurement: every seeded DEK must be on v2 and open to its own plaintext.
    let intact = 0;
    let token: string | undefined;
    do {
      const page = await inner.list({}, token);
      for (const row of page.items) {
        const expected = seeded.get(row.id);
        if (expected === undefined || row.kid !== v2 || row.alg !== 'RSA-OAEP-256') continue;
        try {
          const plain = privateDecrypt({ key: m2.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(row.wrapped, 'base64url'));
          if (sha256(plain) === expected) intact += 1;
          plain.fill(0);
        } catch {
          // Not decryptable under v2: lost.
        }
      }
      token = page.next ?? undefined;
    } while (token !== undefined);

    const ceilingPerSec = rewrapCeilingPerSec(ceiling, { unwrapOld: 1, verifyNew: 1 });
    const dekPerSec = summary.elapsedMs > 0 ? (summary.rewrapped * 1000) / summary.elapsedMs : 0;
    return {
      dekPerSec: round(dekPerSec, 1),
      ceilingPerSec: round(ceilingPerSec, 1),
      ratioOfCeiling: round(dekPerSec / ceilingPerSec, 3),
      lost: count - intact,
      doubleWrapped: [...store.writes.values()].filter((n) => n > 1).length,
      deks: count,
      complete: summary.complete,
      elapsedMs: summary.elapsedMs,
      unwrapsPerSec: round(summary.unwrapsPerSec, 1),
      throttled,
      budgetUnitsPerSec: round(budgetUnitsPerSec, 1),
      ceilingUnitsPerSec: round((ceiling.units * 1000) / ceiling.windowMs, 1),
      emulator: emulator.kind,
    };
  } finally {
    await Promise.allSettled([emulator.close(), azurite.close()]);
  }
}
