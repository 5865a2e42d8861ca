// New key material for the `import` strategy. It is generated in the worker and must reach every member vault
// identically, even if the worker dies between two imports. So it is staged sealed: AES-256-GCM under a fresh
// data key, and the data key wrapped by Key Vault itself (RSA-OAEP-256 with a protector key version the
// rotation identity may use). The ledger keeps only the sealed blob, and drops it once every vault holds the
// new version. Plaintext exists only in memory; buffers are zeroed after use (strings cannot be, and are
// dropped). Never in job payloads, logs or errors (I8).
import { createCipheriv, createDecipheriv, generateKeyPair, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { RotationKeys, RsaJwk } from './ports.js';

export interface StagingKey {
  readonly vault: string;
  readonly keyName: string;
  readonly version: string;
}

const sealedSchema = z.object({
  v: z.literal(1),
  vault: z.string(),
  keyName: z.string(),
  version: z.string(),
  wrapped: z.string(),
  iv: z.string(),
  tag: z.string(),
  ct: z.string(),
});

export class StagedMaterialError extends Error {
  override readonly name = 'StagedMaterialError';
}

const generateRsa = promisify(generateKeyPair);

/**
 * Key generations running at once: at most one per core, and never the whole libuv pool. Each keeps a core busy for
 * 0.2–0.7 s (RSA 2048–3072 with Node 20's OpenSSL 3.0), and unbounded they would take all four pool threads: on a
 * two-core worker the event loop (every other step, lock renewals, Redis) would get a fraction of a core, and DNS
 * lookups and file reads, which also run on the pool, would queue behind them. The rest wait their turn, in order.
 */
const POOL_SIZE = Number(process.env['UV_THREADPOOL_SIZE']) || 4;
const KEYGEN_PARALLELISM = Math.max(1, Math.min(availableParallelism(), POOL_SIZE - 1));
let keygens = 0;
const keygenQueue: Array<() => void> = [];

async function withKeygenSlot<T>(work: () => Promise<T>): Promise<T> {
  if (keygens < KEYGEN_PARALLELISM) keygens++;
  else await new Promise<void>((resolve) => keygenQueue.push(resolve));
  try {
    return await work();
  } finally {
    // Hand the slot to the next waiter, or give it back.
    const next = keygenQueue.shift();
    if (next) next();
    else keygens--;
  }
}

/**
 * Async, on the libuv pool, so the worker's event loop keeps serving its other jobs, lock renewals and Redis meanwhile.
 */
export async function generateRsaMaterial(bits: 2048 | 3072): Promise<RsaJwk> {
  const { privateKey } = await withKeygenSlot(() => generateRsa('rsa', { modulusLength: bits }));
  const jwk = privateKey.export({ format: 'jwk' });
  const parts = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;
  for (const p of parts) if (typeof jwk[p] !== 'string') throw new StagedMaterialError('generated key lacks a JWK field');
  return { kty: 'RSA', n: jwk.n as string, e: jwk.e as string, d: jwk.d as string, p: jwk.p as string, q: jwk.q as string, dp: jwk.dp as string, dq: jwk.dq as string, qi: jwk.qi as string };
}

export async function sealMaterial(keys: RotationKeys, staging: StagingKey, jwk: RsaJwk): Promise<string> {
  const dataKey = randomBytes(32);
  const plaintext = Buffer.from(JSON.stringify(jwk), 'utf8');
  try {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const wrapped = await keys.wrap(staging.vault, staging.keyName, staging.version, dataKey);
    return JSON.stringify({ v: 1, ...staging, wrapped, iv: iv.toString('base64url'), tag: cipher.getAuthTag().toString('base64url'), ct: ct.toString('base64url') });
  } finally {
    dataKey.fill(0);
    plaintext.fill(0);
  }
}

export async function unsealMaterial(keys: RotationKeys, sealed: string): Promise<RsaJwk> {
  const parsed = sealedSchema.safeParse(JSON.parse(sealed) as unknown);
  if (!parsed.success) throw new StagedMaterialError('staged material is not in the expected form');
  const s = parsed.data;
  const dataKey = await keys.unwrap(s.vault, s.keyName, s.version, s.wrapped);
  let plaintext: Buffer | null = null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(s.iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(s.tag, 'base64url'));
    plaintext = Buffer.concat([decipher.update(Buffer.from(s.ct, 'base64url')), decipher.final()]);
    return JSON.parse(plaintext.toString('utf8')) as RsaJwk;
  } catch {
    throw new StagedMaterialError('staged material could not be opened');
  } finally {
    dataKey.fill(0);
    plaintext?.fill(0);
  }
}
