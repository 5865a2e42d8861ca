// Turns a protector's events into per-member signals for each incident cause: a `risk` (a change that will cut
// access), a `denial` (the member's identity was refused), or a `revert` (the change was undone). Each rule is a
// small function of one event and the view; they never look at arrival order.
import type { KeyAccessEvent, KeyEvent, RoleAssignmentEvent } from '../events/keyEvent.js';
import type { Member } from '../estate/model.js';
import type { Estate } from '../estate/model.js';
import type { IncidentCause } from '../report.js';
import { scopeCoversVault } from './fold.js';
import type { ProtectorView } from './view.js';

export type SignalEffect = 'risk' | 'denial' | 'revert';

export interface Signal {
  readonly cause: IncidentCause;
  readonly effect: SignalEffect;
  readonly event: KeyEvent;
}

/** Roles that grant no key data action: removing one of them cannot cut a member's access to its key. */
const NON_KEY_ROLES = new Set([
  'acdd72a7-3385-48ef-bd42-f606fba81ae7', // Reader
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', // Owner (control plane only)
  'b24988ac-6180-42a0-ab88-20f7382dd24c', // Contributor
  'f25e0fa2-a7c8-4377-a976-54943a77a395', // Key Vault Contributor (control plane)
  '21090545-7ca7-4776-b22c-e363652d74d2', // Key Vault Reader
  '4633458b-17de-408a-b874-0445c86b69e6', // Key Vault Secrets User
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7', // Key Vault Secrets Officer
  'db79e9a7-68ee-4b58-9aeb-b90e7c24fcba', // Key Vault Certificate User
  'a4417e6f-fecd-4de8-b567-7b0420556985', // Key Vault Certificates Officer
  '8b54135c-b56d-4d72-a534-26097cfdc8d8', // Key Vault Data Access Administrator (manages assignments, no data)
]);

/** What a SQL server or Cosmos account needs on its key (or the access policy shorthand `all`). */
const REQUIRED_KEY_PERMISSIONS = ['get', 'wrapkey', 'unwrapkey'];

function grantsKeyUse(permissions: readonly string[]): boolean {
  const p = new Set(permissions.map((x) => x.toLowerCase()));
  return p.has('all') || REQUIRED_KEY_PERMISSIONS.every((r) => p.has(r));
}

/**
 * Why a member was refused: what keysteward knows of the vault and the key at that instant (view.denialCauses: the
 * key disabled, expired or deleted, the vault deleted) comes first, whatever Key Vault's message says; the reason
 * read from the status and the message is the fallback.
 */
export function causeOfDenial(e: KeyAccessEvent, view: ProtectorView): IncidentCause {
  const known = view.denialCauses.get(e.id);
  if (known) return known;
  switch (e.denial) {
    case 'rbac':
    case 'access_policy':
      return 'permission_revoked';
    case 'firewall':
      return 'firewall_blocked';
    case 'disabled':
      return 'key_disabled';
    case 'expired':
      return 'key_expired';
    case 'unauthenticated':
      return 'identity_removed';
    case 'not_found':
      // 404 with no deletion known: the key (or version) is not there.
      return 'key_deleted';
    case 'other':
    case null:
      return 'unknown_denial';
  }
}

function isMemberIdentity(member: Member, oid: string | null, mirid: string | null): boolean {
  return (oid !== null && oid === member.principalId) || (mirid !== null && mirid === member.resourceId);
}

/** A change to a version concerns a member when it is the member's current version, or the current one is unknown. */
function touchesCurrent(view: ProtectorView, memberIndex: number, version: string | null): boolean {
  const current = view.currentVersion[memberIndex] ?? null;
  return version === null || current === null || current === version;
}

/** Signals for one member, in no particular order (the incident machine sorts them). */
export function memberSignals(estate: Estate, view: ProtectorView, memberIndex: number): Signal[] {
  const member = view.protector.members[memberIndex] as Member;
  const out: Signal[] = [];
  const add = (cause: IncidentCause, effect: SignalEffect, event: KeyEvent): void => {
    out.push({ cause, effect, event });
  };
  const rbacVault = estate.vaults.get(member.vault);

  for (const e of view.events) {
    switch (e.kind) {
      case 'key-access':
        if (e.outcome === 'denied' && isMemberIdentity(member, e.identity.oid, e.identity.mirid)) add(causeOfDenial(e, view), 'denial', e);
        break;
      case 'key-attributes-changed':
        if (e.key.vault === member.vault && touchesCurrent(view, memberIndex, e.key.version)) {
          if (e.enabled === false) add('key_disabled', 'risk', e);
          if (e.enabled === true) add('key_disabled', 'revert', e);
          if (e.exp !== null && e.exp > e.time) add('key_expired', 'revert', e);
        }
        break;
      case 'key-expired':
        if (e.key.vault === member.vault && touchesCurrent(view, memberIndex, e.key.version)) add('key_expired', 'risk', e);
        break;
      case 'key-deleted':
        if (e.key.vault === member.vault) add('key_deleted', 'risk', e);
        break;
      case 'key-recovered':
        if (e.key.vault === member.vault) add('key_deleted', 'revert', e);
        break;
      case 'key-purged':
        if (e.key.vault === member.vault) add('key_purged', 'risk', e);
        break;
      case 'vault-deleted':
      case 'vault-purged':
        if (e.vault === member.vault) add('vault_deleted', 'risk', e);
        break;
      case 'vault-recovered':
        if (e.vault === member.vault) add('vault_deleted', 'revert', e);
        break;
      case 'vault-config':
        if (e.vault === member.vault && e.networkAcls) {
          const blocks = e.networkAcls.defaultAction === 'deny' && !e.networkAcls.bypassAzureServices;
          add('firewall_blocked', blocks ? 'risk' : 'revert', e);
        }
        break;
      case 'access-policy-changed': {
        if (e.vault !== member.vault || !member.principalId || e.entries.length === 0) break;
        // Access policies are ignored on a vault that uses Azure RBAC.
        if (e.change === 'replace' && isRbacVault(view, member.vault)) break;
        const entry = e.entries.find((x) => x.principalId === member.principalId);
        if (e.change === 'remove') {
          if (entry) add('permission_revoked', 'risk', e);
        } else if (e.change === 'add') {
          if (entry && grantsKeyUse(entry.keyPermissions)) add('permission_revoked', 'revert', e);
        } else if (e.change === 'replace') {
          add('permission_revoked', entry && grantsKeyUse(entry.keyPermissions) ? 'revert' : 'risk', e);
        }
        break;
      }
      case 'identity-removed':
        if (e.resourceId === member.resourceId) add('identity_removed', 'risk', e);
        break;
      case 'sql-server-write':
        // A re-added system identity is a new principal: only a new access grant restores access, so no revert here.
        if (e.server === member.resourceId && e.identityType === 'none') add('identity_removed', 'risk', e);
        break;
      case 'role-assignment':
        // Each event is one judged operation (operations.ts), its principal, role and scope completed from its records.
        if (touchesMemberRole(e, member, rbacVault?.resourceId ?? null)) add('permission_revoked', e.op === 'delete' ? 'risk' : 'revert', e);
        break;
      default:
        break;
    }
  }
  return out;
}

function touchesMemberRole(e: RoleAssignmentEvent, member: Member, vaultResourceId: string | null): boolean {
  if (!member.principalId || e.principalId !== member.principalId || !e.scope) return false;
  if (e.roleDefinitionId && NON_KEY_ROLES.has(e.roleDefinitionId)) return false;
  return scopeCoversVault(e.scope, member.vault, vaultResourceId);
}

function isRbacVault(view: ProtectorView, vault: string): boolean {
  let rbac = false;
  for (const e of view.events) {
    if (e.kind === 'vault-config' && e.vault === vault && e.rbacAuthorization !== null) rbac = e.rbacAuthorization;
  }
  return rbac;
}
