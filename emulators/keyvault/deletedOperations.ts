// Delete and the soft-delete life of a key: get/list deleted, recover, purge (refused under purge protection).
import { deletedKeyNotFound, keyNotFound, purgeProtected } from './errors.js';
import { keyNameOf, nowSeconds, page, type Handler, type OpContext, type OpResult } from './operation.js';
import type { DeletedKey } from './store.js';

function deletedKey(ctx: OpContext): DeletedKey {
  const name = keyNameOf(ctx);
  const d = ctx.vault.deleted.get(name.toLowerCase());
  if (!d) throw deletedKeyNotFound(name);
  return d;
}

function targetOf(d: DeletedKey): Pick<OpResult, 'target'> {
  const latest = d.key.versions.at(-1);
  return latest ? { target: { key: d.key, version: latest } } : {};
}

/** Soft-delete vaults keep the key (every version) for 90 days; others drop it at once (no recoveryId: the SDK poller stops). */
export const deleteKey: Handler = (ctx) => {
  const name = keyNameOf(ctx);
  const key = ctx.vault.key(name);
  if (!key) throw keyNotFound(name);
  const latest = key.versions.at(-1);
  const target = latest ? { target: { key, version: latest } } : {};
  if (ctx.vault.config.softDelete) {
    return { status: 200, body: ctx.vault.deletedBundle(ctx.vault.softDelete(key, nowSeconds(ctx))), ...target };
  }
  ctx.vault.keys.delete(key.name.toLowerCase());
  return { status: 200, body: latest ? ctx.vault.bundle(key, latest) : {}, ...target };
};

export const getDeletedKey: Handler = (ctx) => {
  const d = deletedKey(ctx);
  return { status: 200, body: ctx.vault.deletedBundle(d), ...targetOf(d) };
};

export const listDeletedKeys: Handler = (ctx) => {
  const items = [...ctx.vault.deleted.values()].map((d) => ctx.vault.deletedItem(d));
  return { status: 200, body: page(ctx, items, '/deletedkeys') };
};

export const purgeDeletedKey: Handler = (ctx) => {
  const d = deletedKey(ctx);
  if (ctx.vault.config.purgeProtection) throw purgeProtected(d.key.name);
  ctx.vault.deleted.delete(d.key.name.toLowerCase());
  return { status: 204 };
};

export const recoverDeletedKey: Handler = (ctx) => {
  const d = deletedKey(ctx);
  ctx.vault.deleted.delete(d.key.name.toLowerCase());
  ctx.vault.keys.set(d.key.name.toLowerCase(), d.key);
  const latest = d.key.versions.at(-1);
  return { status: 200, body: latest ? ctx.vault.bundle(d.key, latest) : {}, ...targetOf(d) };
};
