// Pieces of ARM resource ids. Activity records from Event Hubs upper-case resourceId (azure-formats.md
// §8.4); every result here is lower-cased so that it compares equal to the estate's ids.

const SQL_SERVER = /^(.*?\/providers\/microsoft\.sql\/(?:servers|managedinstances)\/[^/?#]+)/i;
const SQL_DATABASE = /\/databases\/([^/?#]+)/i;
const SQL_SERVER_KEY = /\/keys\/([^/?#]+)/i;
const COSMOS_ACCOUNT = /^(.*?\/providers\/microsoft\.documentdb\/databaseaccounts\/[^/?#]+)/i;
const QUERY_OR_FRAGMENT = /[?#]/;
const ROLE_ASSIGNMENT_SUFFIX = /\/providers\/microsoft\.authorization\/roleassignments\/[^/]+\/?$/i;

/** The SQL server (or managed instance) a child resource id belongs to, without the child path. */
export function sqlServerOf(resourceId: string | undefined): string | null {
  const m = resourceId !== undefined ? SQL_SERVER.exec(resourceId) : null;
  return m?.[1] ? m[1].toLowerCase() : null;
}

export function sqlDatabaseOf(resourceId: string | undefined): string | null {
  const m = resourceId !== undefined ? SQL_DATABASE.exec(resourceId) : null;
  return m?.[1] ? m[1].toLowerCase() : null;
}

/** The server key name (`{vault}_{key}_{version}`) of a `.../servers/<s>/keys/<name>` id, as written. */
export function sqlServerKeyNameOf(resourceId: string | undefined): string | null {
  const m = resourceId !== undefined ? SQL_SERVER_KEY.exec(resourceId) : null;
  return m?.[1] ?? null;
}

export function cosmosAccountOf(resourceId: string | undefined): string | null {
  const m = resourceId !== undefined ? COSMOS_ACCOUNT.exec(resourceId) : null;
  return m?.[1] ? m[1].toLowerCase() : null;
}

/** A role assignment's id is `<scope>/providers/Microsoft.Authorization/roleAssignments/<guid>`. */
export function scopeOfRoleAssignment(assignmentId: string): string | null {
  const m = ROLE_ASSIGNMENT_SUFFIX.exec(assignmentId);
  if (!m) return null;
  const scope = assignmentId.slice(0, m.index);
  return scope.length > 0 ? scope.toLowerCase() : '/';
}

/** Last non-empty path segment, lower-cased, ignoring any query string. */
export function lastSegment(pathOrUri: string): string | null {
  const q = pathOrUri.search(QUERY_OR_FRAGMENT);
  const path = q >= 0 ? pathOrUri.slice(0, q) : pathOrUri;
  const parts = path.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i];
    if (p) return p.toLowerCase();
  }
  return null;
}
