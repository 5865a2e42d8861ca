// Test doubles for the rewrap use case: a KeyWrapper over local RSA key pairs (real RSA-OAEP, injectable failures,
// every call recorded) and a DekStore decorator that counts compare-and-set successes per DEK and can interfere.
import { constants, createHash, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { KeyOperationError, type DekFilter, type DekPage, type DekRecord, type DekStore, type KeyWrapper, type NewDek, type Rewrapped, type WrapAlgorithm, type WrappingKey } from '../../../app/rewrap/ports.js';
import type { Logger } from '../../../app/ports.js';
import { canonicalKid, parseVersionedKid } from '../../../domain/rewrap/kid.js';

export const V1 = '0123456789abcdef0123456789abcdef';
export const V2 = 'fedcba9876543210fedcba9876543210';
export const ORIGIN = 'https://kv-a.vault.azure.net';
export const kid = (version: string, key = 'dek-kek'): string => `${ORIGIN}/keys/${key}/${version}`;

const hashOf = (alg: WrapAlgorithm): string => (alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1');

export interface WrapperCall {
  readonly op: 'get' | 'unwrap';
  readonly kid: string;
  readonly at: number;
}

/** Decides, per call, whether it fails (return an error) or goes through (return null). */
export type FaultInjector = (call: { op: 'get' | 'unwrap'; kid: string; n: number }) => KeyOperationError | null;

export class FakeKeyWrapper implements KeyWrapper {
  readonly calls: WrapperCall[] = [];
  /** Every plaintext Buffer handed out, to check that the campaign zeroed them. */
  readonly handedOut: Buffer[] = [];
  fault: FaultInjector = () => null;
  private readonly pairs = new Map<string, { privateKey: KeyObject; publicKey: KeyObject; kty: string }>();
  private readonly handles = new WeakMap<WrappingKey, KeyObject>();
  private n = 0;

  addVersion(kidText: string, kty = 'RSA'): void {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.pairs.set(canonicalKid(kidText), { privateKey, publicKey, kty });
  }

  /** Wraps outside the wrapper (seeding), recording nothing. */
  wrapFor(kidText: string, alg: WrapAlgorithm, dek: Uint8Array): string {
    const pair = this.pairs.get(canonicalKid(kidText));
    if (!pair) throw new Error('unknown version');
    return publicEncrypt({ key: pair.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hashOf(alg) }, dek).toString('base64url');
  }

  /** Unwraps outside the wrapper (assertions), recording nothing. */
  open(kidText: string, alg: WrapAlgorithm, wrapped: string): Buffer {
    const pair = this.pairs.get(canonicalKid(kidText));
    if (!pair) throw new Error('unknown version');
    return privateDecrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hashOf(alg) }, Buffer.from(wrapped, 'base64url'));
  }

  async wrappingKey(kidText: string): Promise<WrappingKey> {
    const k = canonicalKid(kidText);
    this.record('get', k);
    const pair = this.pairs.get(k);
    if (!pair) throw new KeyOperationError('not_found', `key version ${k} not found`, 404);
    const v = parseVersionedKid(k);
    const handle: WrappingKey = { kid: k, vault: v?.vault ?? '', kty: pair.kty, sizeBits: 2048 };
    this.handles.set(handle, pair.publicKey);
    return handle;
  }

  async unwrap(kidText: string, alg: WrapAlgorithm, wrapped: Uint8Array): Promise<Buffer> {
    const k = canonicalKid(kidText);
    this.record('unwrap', k);
    await new Promise((r) => setImmediate(r));
    const pair = this.pairs.get(k);
    if (!pair) throw new KeyOperationError('not_found', `key version ${k} not found`, 404);
    let out: Buffer;
    try {
      out = privateDecrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hashOf(alg) }, wrapped);
    } catch {
      throw new KeyOperationError('rejected', 'Key Vault unwrapKey failed: 400 BadParameter', 400);
    }
    this.handedOut.push(out);
    return out;
  }

  wrapLocally(key: WrappingKey, alg: WrapAlgorithm, dek: Uint8Array): Buffer {
    const publicKey = this.handles.get(key);
    if (!publicKey) throw new TypeError('foreign WrappingKey');
    return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hashOf(alg) }, dek);
  }

  unwrapsOf(kidText: string): number {
    return this.calls.filter((c) => c.op === 'unwrap' && c.kid === canonicalKid(kidText)).length;
  }

  private record(op: 'get' | 'unwrap', k: string): void {
    this.calls.push({ op, kid: k, at: Date.now() });
    const err = this.fault({ op, kid: k, n: this.n++ });
    if (err) throw err;
  }
}

/** Counts compare-and-set successes per DEK; `beforeCas` may interfere (another writer, a crash). */
export class CountingDekStore implements DekStore {
  readonly casOk = new Map<string, number>();
  beforeCas: (id: string) => Promise<void> = async () => undefined;

  constructor(readonly inner: DekStore) {}

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
    await this.beforeCas(id);
    const r = await this.inner.compareAndSet(id, expectedKid, next, etag);
    if (r === 'ok') this.casOk.set(id, (this.casOk.get(id) ?? 0) + 1);
    return r;
  }
  get totalCasOk(): number {
    return [...this.casOk.values()].reduce((a, b) => a + b, 0);
  }
  get doubleWritten(): string[] {
    return [...this.casOk].filter(([, n]) => n > 1).map(([id]) => id);
  }
}

export interface SeededDek {
  readonly id: string;
  readonly plaintext: Buffer;
  readonly fingerprint: string;
  readonly wrapped: string;
}

export const fingerprint = (b: Uint8Array): string => createHash('sha256').update(b).digest('base64url');

/** `count` DEKs wrapped under `kidText`, inserted; returns what was inserted, plaintexts included (for assertions). */
export async function seedDeks(store: DekStore, wrapper: FakeKeyWrapper, kidText: string, count: number, alg: WrapAlgorithm = 'RSA-OAEP-256', prefix = 'dek'): Promise<SeededDek[]> {
  const out: SeededDek[] = [];
  for (let i = 0; i < count; i++) {
    const plaintext = randomBytes(32);
    const d = { id: `${prefix}-${String(i).padStart(4, '0')}`, plaintext, fingerprint: fingerprint(plaintext), wrapped: wrapper.wrapFor(kidText, alg, plaintext) };
    await store.insert({ id: d.id, kid: kidText, alg, wrapped: d.wrapped, fingerprint: d.fingerprint });
    out.push(d);
  }
  return out;
}

/** A Logger that keeps every line as JSON text, to search for leaks. */
export function capturingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push(JSON.stringify({ level, message, ...fields }));
  return { lines, info: put('info'), warn: put('warn'), error: put('error') };
}

/** Every spelling of a secret a leak could take. */
export function secretSpellings(d: SeededDek): string[] {
  return [d.plaintext.toString('base64url'), d.plaintext.toString('base64'), d.plaintext.toString('hex'), d.wrapped, d.wrapped.slice(0, 40)];
}
