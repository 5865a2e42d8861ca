// What a resource provider module gives the front door for a request it serves: the operation (for the call counter),
// the RBAC action and subscription (for authorization and throttling), and how to answer it.
import { decodeSegment, type ArmRequest, type ArmResponse } from './http.js';

export interface RoutedCall {
  /** The SDK operation the request is, e.g. `servers.list`: the call counter's key (each page is one call). */
  readonly operation: string;
  /** The action ARM authorizes, e.g. `Microsoft.Sql/servers/read`. */
  readonly action: string;
  /** The subscription the request is scoped to; null for a tenant-level request (`GET /subscriptions`). */
  readonly subscriptionId: string | null;
  readonly run: () => ArmResponse | Promise<ArmResponse>;
}

export interface ArmProvider {
  /** The call, or null when the path is not this provider's. */
  route(req: ArmRequest): RoutedCall | null;
}

/** `/subscriptions/{sub}/providers/{namespace}/{type}`: a subscription-wide listing. */
export function subscriptionListing(pathname: string, namespace: string, type: string): string | null {
  const m = new RegExp(`^/subscriptions/([^/]+)/providers/${namespace.replace('.', '\\.')}/${type}$`, 'i').exec(pathname);
  return m?.[1] ?? null;
}

const RESOURCE = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/([^/]+)\/([^/]+)(\/.*)?$/i;

export interface ResourcePath {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** `/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}` as sent. */
  readonly resourceId: string;
  readonly name: string;
  /** Segments after the resource's name, decoded. */
  readonly rest: readonly string[];
}

/** A path under one resource of `namespace/type` (both matched case-insensitively, as ARM does). */
export function resourcePath(pathname: string, namespace: string, type: string): ResourcePath | null {
  const m = RESOURCE.exec(pathname);
  if (!m?.[1] || !m[2] || !m[3] || !m[4] || !m[5]) return null;
  if (m[3].toLowerCase() !== namespace.toLowerCase() || m[4].toLowerCase() !== type.toLowerCase()) return null;
  const decode = decodeSegment;
  const rest = (m[6] ?? '').split('/').slice(1).map(decode);
  const name = decode(m[5]);
  return { subscriptionId: decode(m[1]), resourceGroup: decode(m[2]), resourceId: `/subscriptions/${decode(m[1])}/resourceGroups/${decode(m[2])}/providers/${m[3]}/${m[4]}/${name}`, name, rest };
}
