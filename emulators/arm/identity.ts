// Managed identities as ARM shows them on SQL servers, managed instances and Cosmos DB accounts: `identity.type`,
// the system-assigned principal, and user-assigned identities by resource id with their principal and client ids.
import { createHash } from 'node:crypto';

export interface IdentityConfig {
  /** Object id of the system-assigned identity (`identity.principalId`); absent: none. */
  readonly principalId?: string;
  /** User-assigned identities: resource id → object id (`identity.userAssignedIdentities[id].principalId`). */
  readonly userAssignedIdentities?: Readonly<Record<string, string>>;
}

export interface UserAssignedIdentity {
  /** As configured. */
  readonly id: string;
  readonly principalId: string;
  readonly clientId: string;
}

export interface ManagedIdentity {
  readonly systemPrincipalId: string | null;
  /** Lower-cased resource id → identity. */
  readonly userAssigned: ReadonlyMap<string, UserAssignedIdentity>;
}

const TENANT = '00000000-0000-0000-0000-000000000000';

/** A stable GUID-shaped value from its parts (link names, client ids, database ids). */
export function stableGuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.map((p) => p.toLowerCase()).join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function managedIdentityOf(c: IdentityConfig): ManagedIdentity {
  const userAssigned = new Map(
    Object.entries(c.userAssignedIdentities ?? {}).map(([id, principalId]) => [id.toLowerCase(), { id, principalId, clientId: stableGuid('client', id) }] as const),
  );
  return { systemPrincipalId: c.principalId ?? null, userAssigned };
}

/** `identity` of a resource: absent when it has none. */
export function identityJson(i: ManagedIdentity): unknown {
  const system = i.systemPrincipalId !== null;
  const user = i.userAssigned.size > 0;
  if (!system && !user) return undefined;
  return {
    type: system && user ? 'SystemAssigned,UserAssigned' : system ? 'SystemAssigned' : 'UserAssigned',
    ...(system ? { principalId: i.systemPrincipalId } : {}),
    tenantId: TENANT,
    ...(user ? { userAssignedIdentities: Object.fromEntries([...i.userAssigned.values()].map((u) => [u.id, { principalId: u.principalId, clientId: u.clientId }])) } : {}),
  };
}
