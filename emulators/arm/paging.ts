// ARM list paging: `{ value, nextLink? }`, the next page's absolute URL carrying the api-version and a `$skiptoken`
// (here the offset of the next item). The SDKs follow `nextLink` verbatim, so what it names is all that matters.
import { json, type ArmRequest, type ArmResponse } from './http.js';

export interface Paging {
  /** `https://localhost:<port>`: nextLinks are absolute. */
  readonly endpoint: () => string;
  /** Items per page. */
  readonly pageSize: () => number;
}

/** One page of `items`; `$top` (Key Vault's listings) caps the page size when the caller sends it. */
export function page(paging: Paging, req: ArmRequest, items: readonly unknown[]): ArmResponse {
  const top = Number(req.url.searchParams.get('$top'));
  const size = Number.isInteger(top) && top > 0 ? Math.min(top, paging.pageSize()) : paging.pageSize();
  const from = Math.max(0, Number(req.url.searchParams.get('$skiptoken') ?? 0) || 0);
  const to = from + size;
  if (to >= items.length) return json(200, { value: items.slice(from) });
  const next = new URL(`${paging.endpoint()}${req.url.pathname}`);
  for (const [k, v] of req.url.searchParams) if (k !== '$skiptoken') next.searchParams.set(k, v);
  next.searchParams.set('$skiptoken', String(to));
  return json(200, { value: items.slice(from, to), nextLink: next.toString() });
}

/** The whole list in one answer: for the listings whose SDK operation does not page (Cosmos DB's). */
export const whole = (items: readonly unknown[]): ArmResponse => json(200, { value: items });
