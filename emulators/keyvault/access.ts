// Who may do what on one vault: per-principal key permissions (access-policy vaults) or the equivalent role grants
// (RBAC vaults), the vault firewall with its trusted-service bypass, and the denial texts Key Vault returns for each
// (azure-formats.md §1.4, §4.5). Texts use CRLF like the service's error messages; audit records show them with LF.
import { createHash } from 'node:crypto';
import { KvError } from './errors.js';
import type { Route } from './routes.js';
import type { VaultConfig } from './store.js';
import { ALL_KEY_PERMISSIONS, type KeyPermission } from './types.js';

/** The authenticated caller, read from the bearer token's claims. */
export interface Caller {
  readonly oid: string;
  readonly appid: string;
  readonly iss: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

export class AccessControl {
  private readonly grants = new Map<string, Set<KeyPermission>>();

  grant(oid: string, permissions: readonly KeyPermission[] | 'all'): void {
    const key = oid.toLowerCase();
    const set = this.grants.get(key) ?? new Set<KeyPermission>();
    for (const p of permissions === 'all' ? ALL_KEY_PERMISSIONS : permissions) set.add(p);
    this.grants.set(key, set);
  }

  revoke(oid: string, permissions?: readonly KeyPermission[]): void {
    const key = oid.toLowerCase();
    if (!permissions) {
      this.grants.delete(key);
      return;
    }
    const set = this.grants.get(key);
    for (const p of permissions) set?.delete(p);
  }

  allows(oid: string, permission: KeyPermission): boolean {
    return this.grants.get(oid.toLowerCase())?.has(permission) ?? false;
  }
}

/** A stable role-assignment id (32 hex, no dashes, as in `appliedAssignmentId`) for a principal's grant on a vault. */
export function assignmentId(vault: string, oid: string): string {
  return createHash('sha256').update(`${vault.toLowerCase()}|${oid.toLowerCase()}`).digest('hex').slice(0, 32);
}

const callerText = (c: Caller): string => `appid=${c.appid};oid=${c.oid};iss=${c.iss}`;
const vaultText = (v: VaultConfig): string => `${v.name};location=${v.region}`;

/** [observed] ForbiddenByRbac text (fixture unwrap-forbidden-rbac; note the trailing space after "DecisionReason: null"). */
export function rbacDenial(vault: VaultConfig, caller: Caller, route: Route): KvError {
  const resource = `${vault.resourceId}${route.keyName ? `/keys/${route.keyName}` : ''}`.toLowerCase();
  return new KvError(
    403,
    'Forbidden',
    [
      'Caller is not authorized to perform action on resource.',
      'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
      `Caller: ${callerText(caller)}`,
      `Action: '${route.rbacAction}'`,
      `Resource: '${resource}'`,
      'Assignment: (not found)',
      'DenyAssignmentId: null',
      'DecisionReason: null ',
      `Vault: ${vaultText(vault)}`,
    ].join('\r\n'),
    'ForbiddenByRbac',
  );
}

/** [observed] access-policy text (azure-formats.md §1.4). */
export function policyDenial(vault: VaultConfig, caller: Caller, route: Route): KvError {
  return new KvError(
    403,
    'Forbidden',
    `The user, group or application '${callerText(caller).replace(';iss=', ';numgroups=0;iss=')}' does not have keys ${route.permission} permission on key vault '${vaultText(vault)}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
    'AccessDenied',
  );
}

/** First line [observed] (azure-formats.md §4.5); the detail lines are [inferred]. */
export function firewallDenial(vault: VaultConfig, caller: Caller, clientAddress: string): KvError {
  return new KvError(
    403,
    'Forbidden',
    [
      'Client address is not authorized and caller is not a trusted service.',
      `Client address: ${clientAddress}`,
      `Caller: ${callerText(caller)}`,
      `Vault: ${vaultText(vault)}`,
    ].join('\r\n'),
    'ForbiddenByFirewall',
  );
}

export type FirewallDecision = { readonly allowed: true; readonly trustedService?: string } | { readonly allowed: false };

/**
 * Every emulated caller comes from loopback, so there is no IP allow-list: with `defaultAction: Deny` only a
 * trusted Microsoft service passes, and only when the vault's bypass is `AzureServices`.
 */
export function firewall(vault: VaultConfig, trustedService: string | undefined): FirewallDecision {
  const acls = vault.networkAcls;
  if (!acls || acls.defaultAction === 'Allow') return { allowed: true };
  if (acls.bypass === 'AzureServices' && trustedService) return { allowed: true, trustedService };
  return { allowed: false };
}

export function permissionsOf(value: unknown): readonly KeyPermission[] | 'all' | null {
  if (value === 'all') return 'all';
  if (!Array.isArray(value)) return null;
  const out: KeyPermission[] = [];
  for (const p of value) {
    if (typeof p !== 'string') return null;
    // Access policies are case-insensitive ("WrapKey", "wrapkey"); keep the canonical spelling.
    const canonical = ALL_KEY_PERMISSIONS.find((k) => k.toLowerCase() === p.toLowerCase());
    if (!canonical) return null;
    out.push(canonical);
  }
  return out;
}
