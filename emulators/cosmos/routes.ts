// Request path → emulated resource, for the paths @azure/cosmos 4.9.3 sends (ids in paths are URI-encoded by the
// SDK, decoded here):
//   /                                        account (getDatabaseAccount, endpoint discovery)
//   /dbs                                     databases: read feed, create (databases.create / createIfNotExists)
//   /dbs/{db}                                database read
//   /dbs/{db}/clientencryptionkeys           CEKs: read feed (REST only), create (createClientEncryptionKey)
//   /dbs/{db}/clientencryptionkeys/{id}      CEK read / replace (readClientEncryptionKey, rewrapClientEncryptionKey)
// and the resource type and link a master-key signature covers (REST "Access control on Cosmos DB resources"):
// an odd number of segments is a feed (type = last segment, link = its parent), an even number a resource
// (type = the segment before the id, link = the whole path); the account is type "" and link "".

export type Route =
  | { readonly kind: 'account' }
  | { readonly kind: 'databases' }
  | { readonly kind: 'database'; readonly db: string }
  | { readonly kind: 'ceks'; readonly db: string }
  | { readonly kind: 'cek'; readonly db: string; readonly id: string };

export interface ParsedPath {
  readonly route: Route | null;
  /** Lower-cased, as signed. */
  readonly resourceType: string;
  /** Decoded ids, no leading or trailing slash, as signed. */
  readonly resourceLink: string;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function parsePath(pathname: string): ParsedPath {
  const segments = pathname.split('/').filter((s) => s !== '').map(decode);
  const n = segments.length;
  const typeSegment = n % 2 === 1 ? segments[n - 1] : segments[n - 2];
  const resourceType = (typeSegment ?? '').toLowerCase();
  const resourceLink = (n % 2 === 1 ? segments.slice(0, -1) : segments).join('/');
  return { route: routeOf(segments), resourceType, resourceLink };
}

function routeOf(segments: readonly string[]): Route | null {
  const [dbs, db, ceks, id, ...rest] = segments;
  if (dbs === undefined) return { kind: 'account' };
  if (dbs.toLowerCase() !== 'dbs' || rest.length > 0) return null;
  if (db === undefined) return { kind: 'databases' };
  if (ceks === undefined) return { kind: 'database', db };
  if (ceks.toLowerCase() !== 'clientencryptionkeys') return null;
  return id === undefined ? { kind: 'ceks', db } : { kind: 'cek', db, id };
}
