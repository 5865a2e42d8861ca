// Data-plane role assignments per AAD principal, account-wide: `reader` may read the account, databases and CEKs
// and read their feeds (Built-in Data Reader's `readMetadata`); `contributor` may also create databases and
// create/replace CEKs. The master key may do everything. The denial names the action Cosmos checks: reads are
// `readMetadata` on the resource ([observed] text and action); the write actions are [inferred] (Cosmos's data plane
// has none for these resources: it refuses them to AAD callers outright, see `aadMetadataWrites`).
import type { Caller } from './auth.js';
import { notAuthorizableByAad, rbacDenied, type CosmosError } from './errors.js';
import type { Route } from './routes.js';
import type { CosmosRole } from './types.js';

const READ_METADATA = 'Microsoft.DocumentDB/databaseAccounts/readMetadata';

export class RoleAssignments {
  private readonly roles = new Map<string, CosmosRole>();

  grant(oid: string, role: CosmosRole): void {
    const key = oid.toLowerCase();
    // A principal keeps its strongest role (assigning Reader to a Contributor does not demote it).
    if (this.roles.get(key) !== 'contributor') this.roles.set(key, role);
  }

  revoke(oid: string): void {
    this.roles.delete(oid.toLowerCase());
  }

  roleOf(oid: string): CosmosRole | undefined {
    return this.roles.get(oid.toLowerCase());
  }
}

export interface AccessRequest {
  readonly method: string;
  readonly pathname: string;
  readonly route: Route;
  readonly write: boolean;
}

export interface AccessEnv {
  readonly account: string;
  readonly roles: RoleAssignments;
  readonly aadMetadataWrites: 'allowed' | 'refused';
}

/** `/` + the resource's link (what the denial text names as the resource). */
function resourceOf(route: Route): string {
  switch (route.kind) {
    case 'account':
    case 'databases':
      return '/';
    case 'database':
    case 'ceks':
      return `/dbs/${route.db}`;
    case 'cek':
      return `/dbs/${route.db}/clientencryptionkeys/${route.id}`;
  }
}

function writeAction(route: Route): string {
  return route.kind === 'databases' || route.kind === 'database'
    ? 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/write'
    : 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/clientEncryptionKeys/write';
}

/** Null when the caller may do it; else the 403 to answer. */
export function authorize(caller: Caller, req: AccessRequest, env: AccessEnv): CosmosError | null {
  if (caller.kind === 'master') return null;
  if (req.write && env.aadMetadataWrites === 'refused') return notAuthorizableByAad(env.account, req.method, req.pathname);
  const role = env.roles.roleOf(caller.oid);
  const resource = resourceOf(req.route);
  if (!role) return rbacDenied(env.account, caller.oid, req.write ? writeAction(req.route) : READ_METADATA, resource);
  if (req.write && role !== 'contributor') return rbacDenied(env.account, caller.oid, writeAction(req.route), resource);
  return null;
}
