// Key lifecycle operations: get, list, create, import, update, rotate, rotation policy, backup, restore.
import { badParameter, deletedButRecoverable, keyNotFound, restoreConflict } from './errors.js';
import { generateRsaMaterial, importRsaJwk, sealBackup, SUPPORTED_SIZES, unsealBackup, type RsaMaterial } from './keyMaterial.js';
import {
  keyNameOf,
  keyOpsOf,
  nowSeconds,
  objectField,
  optionalBool,
  optionalSeconds,
  page,
  rsaKeyType,
  tagsOf,
  validKeyName,
  type Handler,
  type OpContext,
  type OpResult,
} from './operation.js';
import type { KeyVersion, RotationPolicy, StoredKey } from './store.js';

function existingKey(ctx: OpContext): StoredKey {
  const name = keyNameOf(ctx);
  const key = ctx.vault.key(name);
  if (!key) throw keyNotFound(name);
  return key;
}

function result(ctx: OpContext, key: StoredKey, version: KeyVersion): OpResult {
  return { status: 200, body: ctx.vault.bundle(key, version), target: { key, version } };
}

export const getKey: Handler = (ctx) => {
  const name = keyNameOf(ctx);
  const key = ctx.vault.key(name);
  const v = ctx.vault.version(name, ctx.route.version ?? '');
  // A disabled key can still be read (its attributes say it is disabled); only its crypto operations are refused.
  if (!key || !v) throw keyNotFound(ctx.route.version ? `${name}/${ctx.route.version}` : name);
  return result(ctx, key, v);
};

export const listVersions: Handler = (ctx) => {
  const key = existingKey(ctx);
  const items = key.versions.map((v) => ctx.vault.item(key, v, true));
  return { status: 200, body: page(ctx, items, `/keys/${key.name}/versions`) };
};

export const listKeys: Handler = (ctx) => {
  const items: unknown[] = [];
  for (const key of ctx.vault.keys.values()) {
    const latest = key.versions.at(-1);
    if (latest) items.push(ctx.vault.item(key, latest, false));
  }
  return { status: 200, body: page(ctx, items, '/keys') };
};

/** Adds a version to `name` (creating the key when new): create, import and rotate all end here. */
function addVersion(ctx: OpContext, name: string, init: { kty: 'RSA' | 'RSA-HSM'; keyOps: string[]; material: RsaMaterial; enabled?: boolean | undefined; nbf?: number | undefined; exp?: number | undefined; tags?: Record<string, string> | undefined }): OpResult {
  if (ctx.vault.deleted.has(name.toLowerCase())) throw deletedButRecoverable(name);
  const now = nowSeconds(ctx);
  let key = ctx.vault.key(name);
  if (!key) {
    key = { name, versions: [], rotationPolicy: undefined };
    ctx.vault.keys.set(name.toLowerCase(), key);
  }
  const version: KeyVersion = {
    version: ctx.newVersionId(),
    kty: init.kty,
    keyOps: init.keyOps,
    enabled: init.enabled ?? true,
    nbf: init.nbf,
    exp: init.exp,
    created: now,
    updated: now,
    tags: init.tags ?? {},
    material: init.material,
  };
  key.versions.push(version);
  return result(ctx, key, version);
}

function sizeOf(value: unknown): number {
  const size = value ?? 2048;
  if (typeof size !== 'number' || !SUPPORTED_SIZES.includes(size)) throw badParameter(`The key size '${String(value)}' is not supported: use 2048, 3072 or 4096.`);
  return size;
}

export const createKey: Handler = async (ctx) => {
  const name = validKeyName(keyNameOf(ctx));
  if (ctx.vault.deleted.has(name.toLowerCase())) throw deletedButRecoverable(name);
  const kty = rsaKeyType(ctx.body.kty, false);
  const size = sizeOf(ctx.body.key_size);
  const exponent = ctx.body.public_exponent ?? 65537;
  if (typeof exponent !== 'number' || !Number.isInteger(exponent) || exponent < 3 || exponent % 2 === 0) throw badParameter("'public_exponent' must be an odd integer.");
  const attrs = objectField(ctx.body, 'attributes');
  const keyOps = keyOpsOf(ctx.body.key_ops);
  const material = await generateRsaMaterial(size, exponent);
  return addVersion(ctx, name, { kty, keyOps, material, enabled: optionalBool(attrs, 'enabled'), nbf: optionalSeconds(attrs, 'nbf'), exp: optionalSeconds(attrs, 'exp'), tags: tagsOf(ctx.body) });
};

/** Import on an existing name adds a version: the only way to put identical material into vaults in different geographies. */
export const importKey: Handler = (ctx) => {
  const name = validKeyName(keyNameOf(ctx));
  const jwk = objectField(ctx.body, 'key');
  if (!jwk) throw badParameter("The request has no 'key'.");
  // The SDK sends the HSM flag as "Hsm" (models.js keyImportParametersSerializer); accept "hsm" too.
  const hsm = ctx.body.Hsm === true || ctx.body.hsm === true;
  const kty = rsaKeyType(jwk.kty, hsm);
  const material = importRsaJwk(jwk);
  if (!SUPPORTED_SIZES.includes(material.size)) throw badParameter(`The key size '${material.size}' is not supported: use 2048, 3072 or 4096.`);
  const attrs = objectField(ctx.body, 'attributes');
  return addVersion(ctx, name, { kty, keyOps: keyOpsOf(jwk.key_ops), material, enabled: optionalBool(attrs, 'enabled'), nbf: optionalSeconds(attrs, 'nbf'), exp: optionalSeconds(attrs, 'exp'), tags: tagsOf(ctx.body) });
};

export const updateKey: Handler = (ctx) => {
  const name = keyNameOf(ctx);
  const key = ctx.vault.key(name);
  const v = ctx.vault.version(name, ctx.route.version ?? '');
  if (!key || !v) throw keyNotFound(ctx.route.version ? `${name}/${ctx.route.version}` : name);
  const attrs = objectField(ctx.body, 'attributes');
  const enabled = optionalBool(attrs, 'enabled');
  const nbf = optionalSeconds(attrs, 'nbf');
  const exp = optionalSeconds(attrs, 'exp');
  const tags = tagsOf(ctx.body);
  const keyOps = ctx.body.key_ops !== undefined ? keyOpsOf(ctx.body.key_ops) : undefined;
  if (enabled !== undefined) v.enabled = enabled;
  if (nbf !== undefined) v.nbf = nbf;
  if (exp !== undefined) v.exp = exp;
  if (tags !== undefined) v.tags = tags;
  if (keyOps !== undefined) v.keyOps = keyOps;
  v.updated = nowSeconds(ctx);
  return result(ctx, key, v);
};

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** ISO-8601 duration in seconds (a year is 365 days, a month 30: rotation policy expiry times are coarse). */
function durationSeconds(text: string | undefined): number | undefined {
  const m = text ? DURATION.exec(text) : null;
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map((x) => Number(x ?? 0));
  return (y ?? 0) * 365 * 86_400 + (mo ?? 0) * 30 * 86_400 + (d ?? 0) * 86_400 + (h ?? 0) * 3600 + (mi ?? 0) * 60 + (s ?? 0);
}

/**
 * A new version with new material of the same type, size and operations. Tags are not copied: a version created by
 * a keysteward rotation is tagged with that rotation's id, and a copied tag would claim someone else's work.
 */
export const rotateKey: Handler = async (ctx) => {
  const key = existingKey(ctx);
  const latest = key.versions.at(-1);
  if (!latest) throw keyNotFound(key.name);
  const material = await generateRsaMaterial(latest.material.size);
  const ttl = durationSeconds(key.rotationPolicy?.expiryTime);
  return addVersion(ctx, key.name, { kty: latest.kty, keyOps: [...latest.keyOps], material, exp: ttl !== undefined ? nowSeconds(ctx) + ttl : undefined });
};

function policyBody(ctx: OpContext, key: StoredKey, p: RotationPolicy | undefined): unknown {
  const id = `${ctx.vault.kid(key.name)}/rotationpolicy`;
  // Without a policy Key Vault answers with its default: notify 30 days before expiry [inferred].
  if (!p) return { id, lifetimeActions: [{ trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'Notify' } }], attributes: {} };
  return { id, lifetimeActions: p.lifetimeActions, attributes: { ...(p.expiryTime !== undefined ? { expiryTime: p.expiryTime } : {}), created: p.created, updated: p.updated } };
}

export const getRotationPolicy: Handler = (ctx) => {
  const key = existingKey(ctx);
  return { status: 200, body: policyBody(ctx, key, key.rotationPolicy) };
};

export const setRotationPolicy: Handler = (ctx) => {
  const key = existingKey(ctx);
  const actions = ctx.body.lifetimeActions ?? [];
  if (!Array.isArray(actions)) throw badParameter("'lifetimeActions' must be a list.");
  for (const a of actions as unknown[]) {
    const type = (a as { action?: { type?: unknown } } | null)?.action?.type;
    if (typeof type !== 'string' || !['rotate', 'notify'].includes(type.toLowerCase())) throw badParameter("Each lifetime action needs an action type 'Rotate' or 'Notify'.");
  }
  const expiryTime = objectField(ctx.body, 'attributes')?.expiryTime;
  if (expiryTime !== undefined && (typeof expiryTime !== 'string' || durationSeconds(expiryTime) === undefined)) throw badParameter("'attributes.expiryTime' must be an ISO-8601 duration.");
  const now = nowSeconds(ctx);
  key.rotationPolicy = { lifetimeActions: actions as unknown[], expiryTime: expiryTime as string | undefined, created: key.rotationPolicy?.created ?? now, updated: now };
  return { status: 200, body: policyBody(ctx, key, key.rotationPolicy) };
};

export const backupKey: Handler = (ctx) => {
  const key = existingKey(ctx);
  const value = sealBackup({
    name: key.name,
    versions: key.versions.map((v) => ({ version: v.version, kty: v.kty, keyOps: v.keyOps, enabled: v.enabled, ...(v.nbf !== undefined ? { nbf: v.nbf } : {}), ...(v.exp !== undefined ? { exp: v.exp } : {}), created: v.created, updated: v.updated, tags: v.tags, material: v.material })),
    ...(key.rotationPolicy ? { rotationPolicy: key.rotationPolicy } : {}),
  });
  const latest = key.versions.at(-1);
  return { status: 200, body: { value }, ...(latest ? { target: { key, version: latest } } : {}) };
};

/** Restores every version with its original version id; never into an existing (or deleted) key of that name. */
export const restoreKey: Handler = (ctx) => {
  const content = unsealBackup(ctx.body.value);
  const lower = content.name.toLowerCase();
  if (ctx.vault.keys.has(lower) || ctx.vault.deleted.has(lower)) throw restoreConflict(content.name);
  const key: StoredKey = {
    name: content.name,
    versions: content.versions.map((v) => ({
      version: v.version,
      kty: v.kty === 'RSA-HSM' ? 'RSA-HSM' : 'RSA',
      keyOps: [...v.keyOps],
      enabled: v.enabled,
      nbf: v.nbf,
      exp: v.exp,
      created: v.created,
      updated: v.updated,
      tags: { ...v.tags },
      material: v.material,
    })),
    rotationPolicy: content.rotationPolicy as RotationPolicy | undefined,
  };
  const latest = key.versions.at(-1);
  if (!latest) throw badParameter('The backup blob holds no key version.');
  ctx.vault.keys.set(lower, key);
  return result(ctx, key, latest);
};
