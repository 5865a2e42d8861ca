// The emulated Azure side of the rotation bench (bench/rotation.ts): the Key Vault emulator holding every group's
// protector key in its primary and secondary vault, and the ARM SQL emulator holding every server with that key as
// its current protector. They run in a worker thread when the compiled module is available: their TLS, request
// handling and RSA work is the vaults' and ARM's cost, which in Azure runs on other machines, and on the bench's
// event loop it would be charged to the rotation.
//
// Seeding the vaults must not spend the create budget the measurement is about (K6: 20 creates / 10 s / vault),
// nor take 50 s at that rate: while seeding, the Key Vault emulator's clock is a virtual one, 181 days in the past,
// advancing 600 ms per request (so no 10-s window ever holds more than 17 requests of any vault). The seeded keys
// are therefore 181 days old — due for a P180D rotation — and the throttling windows are empty when the
// measurement starts on the real clock.
import { generateKeyPairSync, type JsonWebKey as NodeJwk } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { KeyClient, type JsonWebKey } from '@azure/keyvault-keys';
import { LocalEmulatorCredential } from '../adapters/azure/localCredential.js';
import { localPolicies } from '../adapters/azure/localNetwork.js';
import { keyVaultLookup, startArmSqlEmulator, type ArmSqlEmulator, type EmulatedSqlServer } from '../emulators/armsql/index.js';
import { startKeyVaultEmulator, type KeyPermission, type KeyVaultEmulator } from '../emulators/keyvault/index.js';

export interface SeedMember {
  readonly server: string;
  readonly vault: string;
  readonly principalId: string;
  readonly location: string;
}

export interface SeedGroup {
  readonly keyName: string;
  readonly primary: SeedMember;
  readonly secondary: SeedMember;
}

export interface EmulatorSpec {
  readonly tls: { readonly cert: string; readonly key: string };
  readonly vaults: ReadonlyArray<{ readonly name: string; readonly region: string }>;
  readonly groups: readonly SeedGroup[];
  /** Operator identity that seeds the keys. */
  readonly adminOid: string;
  /** The rotation's identity and what it may do in every vault. */
  readonly serviceOid: string;
  readonly servicePermissions: readonly KeyPermission[];
  readonly keySize: 2048 | 3072;
  readonly hsm: boolean;
  /** Distinct seed materials shared round-robin by the groups (each group's two vaults hold the same one). */
  readonly seedMaterials: number;
  readonly armWriteMode: 'sync' | 'async';
}

export interface SetupInfo {
  readonly kvPort: number;
  readonly armEndpoint: string;
  readonly seedMs: number;
  /** CPU time of one RSA key generation (single thread), measured on the seed materials. */
  readonly keygenMsPerKey: number;
}

export interface ArmWrite {
  readonly seq: number;
  readonly server: string;
  readonly operation: string;
  readonly serverKeyName: string | null;
  readonly uri: string | null;
  readonly status: number;
  readonly changed: boolean;
}

export interface EmulatorStats {
  /** Successful key creations (create, import, rotate) since the mark, per vault. */
  readonly createsByVault: Record<string, number>;
  /** `<vault>/<key>` → versions created since the mark. */
  readonly createsByKey: Record<string, number>;
  /** 429s since the mark: on creations, and on anything. */
  readonly throttledCreates: number;
  readonly throttledAll: number;
  readonly requests: number;
  readonly requestsByOperation: Record<string, number>;
  readonly firstCreateAt: number | null;
  readonly lastCreateAt: number | null;
  readonly armWrites: readonly ArmWrite[];
  readonly armWritesByOperation: Record<string, number>;
  /** Server resource id (lower case) → its protector's key URI now. */
  readonly protectors: Record<string, string | null>;
  /** Event-loop utilisation of the emulators' thread since the mark (0–1). */
  readonly elu: number;
}

export interface RotationEmulators {
  readonly kind: 'worker' | 'in-process';
  readonly setup: SetupInfo;
  vaultUrl(vault: string): string;
  /** Measurement starts now: statistics count from here. */
  mark(): Promise<void>;
  stats(): Promise<EmulatorStats>;
  close(): Promise<void>;
}

const SEED_AGE_MS = 181 * 86_400_000;
const SEED_STEP_MS = 600;
const CREATE_OPS = new Set(['KeyImport', 'KeyCreate', 'KeyRotate']);

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

function sdkJwk(jwk: NodeJwk): JsonWebKey {
  const b = (v: unknown): Uint8Array | undefined => (typeof v === 'string' ? Buffer.from(v, 'base64url') : undefined);
  return { kty: 'RSA', keyOps: ['wrapKey', 'unwrapKey'], n: b(jwk.n), e: b(jwk.e), d: b(jwk.d), p: b(jwk.p), q: b(jwk.q), dp: b(jwk.dp), dq: b(jwk.dq), qi: b(jwk.qi) } as JsonWebKey;
}

/** Starts both emulators in this thread and seeds them. */
async function startHere(spec: EmulatorSpec): Promise<{ kv: KeyVaultEmulator; arm: ArmSqlEmulator; setup: SetupInfo; mark(): void; stats(): EmulatorStats }> {
  const seedStart = performance.now();
  let seeding = true;
  let virtual = Date.now() - SEED_AGE_MS;
  const clock = (): number => (seeding ? (virtual += SEED_STEP_MS) : Date.now());
  const kv = await startKeyVaultEmulator({ tls: spec.tls, vaults: spec.vaults.map((v) => ({ name: v.name, region: v.region })), clock });
  let arm: ArmSqlEmulator | null = null;
  try {
    for (const v of spec.vaults) {
      kv.grant(v.name, spec.adminOid, 'all');
      kv.grant(v.name, spec.serviceOid, [...spec.servicePermissions]);
    }
    for (const g of spec.groups) for (const m of [g.primary, g.secondary]) kv.grant(m.vault, m.principalId, ['get', 'wrapKey', 'unwrapKey']);

    // Seed materials: few and shared (each is ~0.2 s of CPU); the rotation generates a fresh one per group.
    const materials: JsonWebKey[] = [];
    const keygenStart = performance.now();
    for (let i = 0; i < spec.seedMaterials; i++) materials.push(sdkJwk(generateKeyPairSync('rsa', { modulusLength: spec.keySize }).privateKey.export({ format: 'jwk' })));
    const keygenMsPerKey = (performance.now() - keygenStart) / Math.max(1, spec.seedMaterials);

    const admin = new LocalEmulatorCredential({ oid: spec.adminOid });
    const clients = new Map(spec.vaults.map((v) => [v.name, new KeyClient(kv.vaultUrl(v.name), admin, { additionalPolicies: localPolicies() })]));
    const kid = new Map<string, string>(); // `<vault>/<key>` → seeded kid
    const seedOne = async (vault: string, keyName: string, material: JsonWebKey): Promise<void> => {
      const key = await (clients.get(vault) as KeyClient).importKey(keyName, material, { hardwareProtected: spec.hsm });
      if (!key.id) throw new Error(`seeding ${vault}/${keyName}: no kid`);
      kid.set(`${vault}/${keyName}`, key.id);
    };
    const imports = spec.groups.flatMap((g, i) => {
      const material = materials[i % materials.length] as JsonWebKey;
      // Secondaries first, as a real setup is done (DESIGN.md §1).
      return [
        { vault: g.secondary.vault, keyName: g.keyName, material },
        { vault: g.primary.vault, keyName: g.keyName, material },
      ];
    });
    // A fresh client's first request runs alone (the SDK's challenge race, adapters/keyvault/crypto/challengeGate.ts).
    const firsts = new Set<string>();
    const rest: typeof imports = [];
    for (const imp of imports) {
      if (firsts.has(imp.vault)) rest.push(imp);
      else {
        firsts.add(imp.vault);
        await seedOne(imp.vault, imp.keyName, imp.material);
      }
    }
    await pool(rest, 16, (imp) => seedOne(imp.vault, imp.keyName, imp.material));

    const servers: EmulatedSqlServer[] = spec.groups.flatMap((g) => {
      const own = (m: SeedMember): string => kid.get(`${m.vault}/${g.keyName}`) as string;
      return [
        { resourceId: g.primary.server, principalId: g.primary.principalId, location: g.primary.location, role: 'Primary' as const, partners: [g.secondary.server], protector: own(g.primary) },
        { resourceId: g.secondary.server, principalId: g.secondary.principalId, location: g.secondary.location, role: 'Secondary' as const, protector: own(g.secondary) },
      ];
    });
    // SQL reads the key as the server's identity; the thumbprint makes the geo rule compare material.
    arm = await startArmSqlEmulator({ tls: spec.tls, servers, keyExists: keyVaultLookup({ additionalPolicies: localPolicies() }), writeMode: spec.armWriteMode });
    seeding = false;
    const setup: SetupInfo = { kvPort: kv.port, armEndpoint: arm.endpoint, seedMs: Math.round(performance.now() - seedStart), keygenMsPerKey: Math.round(keygenMsPerKey) };

    let auditMark = kv.auditLog().length;
    let armMark = arm.history().length;
    let eluMark = performance.eventLoopUtilization();
    const armRef = arm;
    return {
      kv,
      arm,
      setup,
      mark() {
        auditMark = kv.auditLog().length;
        armMark = armRef.history().length;
        eluMark = performance.eventLoopUtilization();
      },
      stats(): EmulatorStats {
        const createsByVault: Record<string, number> = {};
        const createsByKey: Record<string, number> = {};
        const requestsByOperation: Record<string, number> = {};
        let throttledCreates = 0;
        let throttledAll = 0;
        let firstCreateAt: number | null = null;
        let lastCreateAt: number | null = null;
        const records = kv.auditLog().slice(auditMark);
        for (const r of records) {
          requestsByOperation[r.operationName] = (requestsByOperation[r.operationName] ?? 0) + 1;
          const status = r.properties.httpStatusCode;
          if (status === 429) {
            throttledAll++;
            if (CREATE_OPS.has(r.operationName)) throttledCreates++;
          }
          if (!CREATE_OPS.has(r.operationName) || status !== 200) continue;
          const vault = new URL(r.properties.requestUri).hostname.split('.')[0] ?? '';
          createsByVault[vault] = (createsByVault[vault] ?? 0) + 1;
          const key = /\/keys\/([^/]+)\//.exec(r.properties.id ?? '')?.[1] ?? '?';
          createsByKey[`${vault}/${key}`] = (createsByKey[`${vault}/${key}`] ?? 0) + 1;
          const at = Date.parse(r.time);
          firstCreateAt = firstCreateAt === null ? at : Math.min(firstCreateAt, at);
          lastCreateAt = lastCreateAt === null ? at : Math.max(lastCreateAt, at);
        }
        const armWritesByOperation: Record<string, number> = {};
        const armWrites = armRef
          .history()
          .slice(armMark)
          .map((h): ArmWrite => {
            armWritesByOperation[h.operation] = (armWritesByOperation[h.operation] ?? 0) + 1;
            return { seq: h.seq, server: h.server.toLowerCase(), operation: h.operation, serverKeyName: h.request.serverKeyName ?? null, uri: h.request.uri ?? null, status: h.outcome.status, changed: h.changed };
          });
        const protectors: Record<string, string | null> = {};
        for (const g of spec.groups) {
          for (const m of [g.primary, g.secondary]) {
            const s = armRef.inspect(m.server);
            protectors[m.server.toLowerCase()] = Object.entries(s.keys).find(([name]) => name.toLowerCase() === s.protector.toLowerCase())?.[1] ?? null;
          }
        }
        const elu = performance.eventLoopUtilization(eluMark).utilization;
        return { createsByVault, createsByKey, throttledCreates, throttledAll, requests: records.length, requestsByOperation, firstCreateAt, lastCreateAt, armWrites, armWritesByOperation, protectors, elu };
      },
    };
  } catch (err) {
    await Promise.allSettled([kv.close(), arm?.close()]);
    throw err;
  }
}

// ---- worker thread side -----------------------------------------------------------------------------------
type Request = { readonly id: number; readonly op: 'mark' | 'stats' | 'close' };
type Reply = { readonly id: number; readonly result?: unknown; readonly error?: string };

const WORKER_TAG = 'keysteward-bench-rotation-emulators';

if (!isMainThread && (workerData as { tag?: string } | null)?.tag === WORKER_TAG && parentPort) {
  const port = parentPort;
  const spec = (workerData as { spec: EmulatorSpec }).spec;
  startHere(spec).then(
    (em) => {
      port.on('message', (m: Request) => {
        const reply = (r: Omit<Reply, 'id'>): void => port.postMessage({ id: m.id, ...r });
        try {
          if (m.op === 'mark') reply({ result: em.mark() });
          else if (m.op === 'stats') reply({ result: em.stats() });
          else if (m.op === 'close') {
            Promise.allSettled([em.kv.close(), em.arm.close()]).then(() => reply({ result: true }), () => reply({ result: true }));
          }
        } catch (err) {
          reply({ error: err instanceof Error ? err.message : String(err) });
        }
      });
      port.postMessage({ id: 0, result: em.setup });
    },
    (err: unknown) => port.postMessage({ id: 0, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
}

// ---- bench side -------------------------------------------------------------------------------------------
const vaultUrlOf = (kvPort: number, vault: string): string => `https://${vault}.vault.localhost:${kvPort}/`;

export async function startRotationEmulators(spec: EmulatorSpec, options: { inWorker?: boolean } = {}): Promise<RotationEmulators> {
  const self = fileURLToPath(import.meta.url);
  // Compiled (dist/bench/*.js): a worker thread; run from TypeScript sources (vitest): in this thread.
  if (options.inWorker === false || !self.endsWith('.js')) {
    const em = await startHere(spec);
    return {
      kind: 'in-process',
      setup: em.setup,
      vaultUrl: (vault) => vaultUrlOf(em.setup.kvPort, vault),
      mark: async () => em.mark(),
      stats: async () => em.stats(),
      close: async () => {
        await Promise.allSettled([em.kv.close(), em.arm.close()]);
      },
    };
  }
  const worker = new Worker(self, { workerData: { tag: WORKER_TAG, spec } });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let failure: Error | null = null;
  const fail = (err: Error): void => {
    failure = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('message', (m: Reply) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error !== undefined) w.reject(new Error(`rotation emulators: ${m.error}`));
    else w.resolve(m.result);
  });
  worker.on('error', (e: Error) => fail(e));
  worker.on('exit', (code) => fail(new Error(`rotation emulators' worker exited (${code})`)));
  const call = <T>(id: number, op?: Request['op']): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (op) worker.postMessage({ id, op } satisfies Request);
    });
  let setup: SetupInfo;
  try {
    setup = await call<SetupInfo>(0);
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return {
    kind: 'worker',
    setup,
    vaultUrl: (vault) => vaultUrlOf(setup.kvPort, vault),
    mark: () => call<void>(nextId++, 'mark'),
    stats: () => call<EmulatorStats>(nextId++, 'stats'),
    close: async () => {
      await call<boolean>(nextId++, 'close').catch(() => undefined);
      await worker.terminate();
    },
  };
}
