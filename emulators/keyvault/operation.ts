// What every operation handler gets and returns, plus the small request-body readers they share.
import { badParameter } from './errors.js';
import type { Route } from './routes.js';
import type { KeyVersion, StoredKey, VaultState } from './store.js';

export interface OpContext {
  readonly vault: VaultState;
  readonly route: Route;
  /** The parsed JSON body ({} when empty). */
  readonly body: Readonly<Record<string, unknown>>;
  readonly url: URL;
  readonly apiVersion: string;
  readonly nowMs: number;
  readonly newVersionId: () => string;
  /** Reports the key version a request resolved to before it may still be refused (disabled, expired): the audit
   * record then names that version and carries its keyProperties, as for a success. */
  readonly resolved: (target: Target) => void;
}

export interface Target {
  readonly key: StoredKey;
  readonly version: KeyVersion;
}

export interface OpResult {
  readonly status: number;
  readonly body?: unknown;
  /** The key version the operation acted on: its kid is the audit record's id and its properties `keyProperties`. */
  readonly target?: Target;
}

export type Handler = (ctx: OpContext) => Promise<OpResult> | OpResult;

export const nowSeconds = (ctx: OpContext): number => Math.floor(ctx.nowMs / 1000);

export function keyNameOf(ctx: OpContext): string {
  const name = ctx.route.keyName;
  if (name === undefined) throw badParameter('The request does not name a key.');
  return name;
}

// Key Vault names: 1–127 characters, alphanumerics and dashes.
const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;

export function validKeyName(name: string): string {
  if (!KEY_NAME.test(name)) throw badParameter(`The key name '${name}' is not valid: use 1-127 letters, digits and dashes.`);
  return name;
}

export function objectField(body: Readonly<Record<string, unknown>>, name: string): Readonly<Record<string, unknown>> | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw badParameter(`'${name}' must be an object.`);
  return v as Record<string, unknown>;
}

export function optionalSeconds(obj: Readonly<Record<string, unknown>> | undefined, name: string): number | undefined {
  const v = obj?.[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badParameter(`'attributes.${name}' must be a number of seconds since the epoch.`);
  return Math.floor(v);
}

export function optionalBool(obj: Readonly<Record<string, unknown>> | undefined, name: string): boolean | undefined {
  const v = obj?.[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badParameter(`'attributes.${name}' must be a boolean.`);
  return v;
}

export function tagsOf(body: Readonly<Record<string, unknown>>): Record<string, string> | undefined {
  const t = objectField(body, 'tags');
  if (!t) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(t)) {
    if (typeof v !== 'string') throw badParameter(`Tag '${k}' must be a string.`);
    out[k] = v;
  }
  return out;
}

const RSA_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'];

export function keyOpsOf(value: unknown): string[] {
  if (value === undefined || value === null) return [...RSA_OPS];
  if (!Array.isArray(value) || value.some((o) => typeof o !== 'string' || !RSA_OPS.includes(o))) {
    throw badParameter(`'key_ops' must be a list of: ${RSA_OPS.join(', ')}.`);
  }
  return [...new Set(value as string[])];
}

/** 'RSA' or 'RSA-HSM'; other key types are refused (the emulator holds RSA keys only). */
export function rsaKeyType(kty: unknown, hsm: boolean): 'RSA' | 'RSA-HSM' {
  if (kty !== 'RSA' && kty !== 'RSA-HSM') {
    throw badParameter(`The key type '${String(kty)}' is not supported by the Key Vault emulator: only RSA and RSA-HSM keys are.`);
  }
  return kty === 'RSA-HSM' || hsm ? 'RSA-HSM' : 'RSA';
}

export function base64urlField(body: Readonly<Record<string, unknown>>, name: string): Buffer {
  const v = body[name];
  if (typeof v !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(v)) throw badParameter(`'${name}' must be a base64url string.`);
  return Buffer.from(v, 'base64url');
}

/** Paging shared by the list operations: `maxresults` (1–25, default 25) and an opaque `$skiptoken`. */
export function page<T>(ctx: OpContext, items: readonly T[], path: string): { value: T[]; nextLink: string | null } {
  const requested = Number(ctx.url.searchParams.get('maxresults') ?? 25);
  const size = Number.isInteger(requested) && requested >= 1 && requested <= 25 ? requested : 25;
  const token = ctx.url.searchParams.get('$skiptoken');
  const offset = token ? Number(Buffer.from(token, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw badParameter('The $skiptoken is not valid.');
  const value = items.slice(offset, offset + size);
  const next = offset + size;
  if (next >= items.length) return { value, nextLink: null };
  const skip = Buffer.from(String(next)).toString('base64url');
  return { value, nextLink: `${ctx.vault.url}${path}?api-version=${encodeURIComponent(ctx.apiVersion)}&$skiptoken=${skip}&maxresults=${size}` };
}
