// What is known about one protector at `now`: each member vault's effective properties and the versions of the
// protector key it holds, and each member's current protector version. Built from the estate snapshot
// (vault properties, inventory) overlaid with the events up to `now`, applied in (time, id) order so the
// result depends only on the event set.
import type { KeyAccessEvent, KeyEvent } from '../events/keyEvent.js';
import type { Protector, VaultProperties } from '../estate/model.js';
import type { Estate } from '../estate/model.js';
import type { IncidentCause } from '../report.js';
import type { Millis } from '../time.js';
import type { ProtectorState } from './fold.js';
import { effectiveEvents } from './operations.js';

export interface VersionView {
  readonly version: string;
  createdAt: Millis | null;
  enabled: boolean | null;
  exp: Millis | null;
  nbf: Millis | null;
  thumbprint: string | null;
  kty: string | null;
  size: number | null;
  /** Key Vault itself said (Event Grid KeyNearExpiry) that this version nears its expiry. */
  nearExpiryNotified: boolean;
}

export interface VaultView {
  readonly name: string;
  properties: VaultProperties;
  deleted: boolean;
  keyDeleted: boolean;
  keyPurged: boolean;
  /** Versions of the protector key held in this vault, by version id. */
  readonly versions: Map<string, VersionView>;
}

export interface ProtectorView {
  readonly protector: Protector;
  /**
   * Events with time ≤ now that took effect, sorted by (time, id): ARM operations judged (operations.ts) — one event
   * per kind for each succeeded operation, dated at its Success record — and everything else but failures.
   */
  readonly events: readonly KeyEvent[];
  readonly vaults: ReadonlyMap<string, VaultView>;
  /** Per member index: the member's current protector version, when known. */
  readonly currentVersion: readonly (string | null)[];
  /**
   * Denials (by event id) whose cause is known from state rather than from the denial's wording: the vault or the key
   * was deleted, or the version was disabled or expired, when the denial happened.
   */
  readonly denialCauses: ReadonlyMap<string, IncidentCause>;
}

const UNKNOWN_PROPERTIES: VaultProperties = { softDelete: null, purgeProtection: null, softDeleteRetentionDays: null, networkAcls: null };

function versionEntry(vault: VaultView, version: string): VersionView {
  let v = vault.versions.get(version);
  if (!v) {
    v = { version, createdAt: null, enabled: null, exp: null, nbf: null, thumbprint: null, kty: null, size: null, nearExpiryNotified: false };
    vault.versions.set(version, v);
  }
  return v;
}

/** The newest version of the key in a vault by creation time (ties by version id); null when none is dated. */
export function newestVersion(vault: VaultView): VersionView | null {
  let best: VersionView | null = null;
  for (const v of vault.versions.values()) {
    if (v.createdAt === null) continue;
    if (!best || (best.createdAt as number) < v.createdAt || (best.createdAt === v.createdAt && best.version < v.version)) best = v;
  }
  return best;
}

export function buildProtectorView(estate: Estate, state: ProtectorState, now: Millis): ProtectorView {
  const protector = state.protector;
  const events = effectiveEvents([...state.events.values()].filter((e) => e.time <= now));

  const vaults = new Map<string, VaultView>();
  for (const name of new Set(protector.members.map((m) => m.vault))) {
    const vault: VaultView = {
      name,
      properties: { ...(estate.vaults.get(name)?.properties ?? UNKNOWN_PROPERTIES) },
      deleted: false,
      keyDeleted: false,
      keyPurged: false,
      versions: new Map(),
    };
    for (const inv of estate.inventory.get(name)?.get(protector.keyName) ?? []) {
      Object.assign(versionEntry(vault, inv.version), {
        createdAt: inv.created, enabled: inv.enabled, exp: inv.exp, nbf: inv.nbf, thumbprint: inv.thumbprint, kty: inv.kty, size: inv.size,
      });
    }
    vaults.set(name, vault);
  }

  const currentVersion: (string | null)[] = protector.members.map(() => null);
  const denialCauses = new Map<string, IncidentCause>();
  // In time order, so each denial is judged on what was known when it happened.
  for (const e of events) {
    if (e.kind === 'key-access' && e.outcome === 'denied') {
      const cause = causeFromState(vaults, e);
      if (cause !== null) denialCauses.set(e.id, cause);
    }
    applyToView(protector, vaults, currentVersion, e);
  }
  // Without an ARM record naming it, a member's current version is the newest enabled one in its own vault.
  protector.members.forEach((m, i) => {
    if (currentVersion[i] !== null) return;
    const vault = vaults.get(m.vault);
    const newest = vault ? newestVersion(vault) : null;
    currentVersion[i] = newest && newest.enabled !== false ? newest.version : null;
  });
  return { protector, events, vaults, currentVersion, denialCauses };
}

/**
 * What the vault's known state says about a denial at its instant, or null when it says nothing. The firewall and
 * the caller's token are checked before Key Vault looks at the key, so a firewall or 401 denial keeps its own cause.
 */
function causeFromState(vaults: ReadonlyMap<string, VaultView>, e: KeyAccessEvent): IncidentCause | null {
  if (e.denial === 'firewall' || e.denial === 'unauthenticated') return null;
  const vault = vaults.get(e.key.vault);
  if (!vault) return null;
  if (vault.deleted) return 'vault_deleted';
  if (vault.keyDeleted) return vault.keyPurged ? 'key_purged' : 'key_deleted';
  const version = e.key.version ? vault.versions.get(e.key.version) : newestVersion(vault);
  if (!version) return null;
  if (version.enabled === false) return 'key_disabled';
  if ((version.exp !== null && version.exp <= e.time) || (version.nbf !== null && version.nbf > e.time)) return 'key_expired';
  return null;
}

function applyToView(protector: Protector, vaults: Map<string, VaultView>, current: (string | null)[], e: KeyEvent): void {
  switch (e.kind) {
    case 'key-version-created': {
      const vault = vaults.get(e.key.vault);
      if (!vault || !e.key.version) return;
      const v = versionEntry(vault, e.key.version);
      // A creation's time is its earliest record (Event Grid may echo the audit record a little later).
      if (v.createdAt === null || e.time < v.createdAt) v.createdAt = e.time;
      if (v.enabled === null) v.enabled = true;
      if (e.exp !== null) v.exp = e.exp;
      if (e.nbf !== null) v.nbf = e.nbf;
      // A new version means the key exists again (re-created or imported after a delete or a purge).
      vault.keyDeleted = false;
      vault.keyPurged = false;
      return;
    }
    case 'key-attributes-changed': {
      const vault = vaults.get(e.key.vault);
      if (!vault) return;
      const target = e.key.version ? versionEntry(vault, e.key.version) : newestVersion(vault);
      if (!target) return;
      if (e.enabled !== null) target.enabled = e.enabled;
      if (e.exp !== null) target.exp = e.exp;
      return;
    }
    case 'key-near-expiry':
    case 'key-expired': {
      const vault = vaults.get(e.key.vault);
      if (!vault || !e.key.version) return;
      const v = versionEntry(vault, e.key.version);
      if (e.exp !== null) v.exp = e.exp;
      if (e.kind === 'key-near-expiry') v.nearExpiryNotified = true;
      return;
    }
    case 'key-deleted':
    case 'key-recovered':
    case 'key-purged': {
      const vault = vaults.get(e.key.vault);
      if (!vault) return;
      if (e.kind === 'key-purged') vault.keyPurged = true;
      vault.keyDeleted = e.kind !== 'key-recovered';
      return;
    }
    case 'vault-config': {
      const vault = vaults.get(e.vault);
      if (!vault) return;
      const p = vault.properties;
      vault.properties = {
        softDelete: e.softDelete ?? p.softDelete,
        purgeProtection: e.purgeProtection ?? p.purgeProtection,
        softDeleteRetentionDays: p.softDeleteRetentionDays,
        networkAcls: e.networkAcls ?? p.networkAcls,
      };
      return;
    }
    case 'vault-deleted':
    case 'vault-recovered':
    case 'vault-purged': {
      const vault = vaults.get(e.vault);
      if (vault) vault.deleted = e.kind !== 'vault-recovered';
      return;
    }
    case 'sql-protector-set': {
      if (!e.key || e.key.key !== protector.keyName || !e.key.version) return;
      protector.members.forEach((m, i) => {
        if (m.resourceId === e.server) current[i] = e.key?.version ?? null;
      });
      return;
    }
    default:
      return;
  }
}
