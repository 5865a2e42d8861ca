// ARM ids and the identities ARM returns, as discovery's facts hold them: lower-case (ARM ids and names are
// case-insensitive), except the resource group as ARM spells it, which the SDK calls put back in a path.
import type { GeoRole, IdentityFacts } from '../../domain/discovery/facts.js';

export const lower = (s: string | undefined | null): string | null => (s ? s.toLowerCase() : null);

/** `/subscriptions/<sub>/resourceGroups/<rg>/…` → `<rg>` as written; '' when the id has none. */
export function resourceGroupOf(id: string): string {
  return /\/resourcegroups\/([^/]+)/i.exec(id)?.[1] ?? '';
}

/** The shape both the SQL and the Cosmos DB SDKs give a managed identity. */
export interface ArmIdentity {
  readonly type?: string;
  readonly principalId?: string;
  readonly userAssignedIdentities?: Readonly<Record<string, { readonly principalId?: string } | undefined>>;
}

export function identityFacts(identity: ArmIdentity | undefined): IdentityFacts {
  return {
    type: identity?.type ?? null,
    systemPrincipalId: lower(identity?.principalId),
    userAssigned: new Map(Object.entries(identity?.userAssignedIdentities ?? {}).map(([id, u]) => [id.toLowerCase(), lower(u?.principalId)])),
  };
}

/** ARM's replication roles: Primary, Secondary, NonReadableSecondary (a geo-secondary); Source and Copy are not geo. */
export function geoRole(role: string | undefined): GeoRole | null {
  switch (role?.toLowerCase()) {
    case 'primary':
      return 'primary';
    case 'secondary':
    case 'nonreadablesecondary':
      return 'secondary';
    default:
      return null;
  }
}
