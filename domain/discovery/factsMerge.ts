// A targeted re-discovery reads a few subscriptions again; its facts replace what the last discovery knew of exactly
// those subscriptions and leave the rest as they were, so the estate decided from the merge is what a full discovery
// would give had nothing changed elsewhere. Reads of one subscription by two runs (two instances, a long scheduled run
// and a quick targeted one) are merged by the caller so that the later read wins: it passes as `reread` only the
// subscriptions its read is the latest of.
// Invariants: every server, account and vault of a re-read subscription comes from the fresh read (one that is gone is
// gone); nothing of another subscription changes; the result is sorted as discover() sorts its facts.
import type { DiscoveryFacts } from './facts.js';

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

type Gap = DiscoveryFacts['gaps'][number];

const keyOf = (k: { readonly vault: string; readonly name: string }): string => `${k.vault}/${k.name}`;

export interface MergeScope {
  /** Subscriptions whose fresh facts replace what was known of them (a subset of those the fresh read covered). */
  readonly reread: readonly string[];
  /** A full discovery: subscriptions it did not cover are no longer watched, and what was known of them is dropped. */
  readonly full: boolean;
}

/** The listing a resource comes from, as its gap names it when the listing could not be read. */
function listingOf(item: { readonly subscriptionId: string } & ({ readonly kind: 'server' | 'managed-instance' } | { readonly managedHsm: boolean } | object)): string {
  const sub = `/subscriptions/${item.subscriptionId}/providers/`;
  if ('kind' in item) return `${sub}microsoft.sql/${item.kind === 'server' ? 'servers' : 'managedinstances'}`;
  if ('managedHsm' in item) return `${sub}microsoft.keyvault/${item.managedHsm ? 'managedhsms' : 'vaults'}`;
  return `${sub}microsoft.documentdb/databaseaccounts`;
}

export function mergeFacts(previous: DiscoveryFacts | null, fresh: DiscoveryFacts, scope: MergeScope): DiscoveryFacts {
  const reread = new Set(scope.reread.map((s) => s.toLowerCase()));
  // A full read that could not even list the subscriptions tells nothing of what is no longer watched.
  const full = scope.full && !fresh.gaps.some((g) => g.scope === '/subscriptions');
  const watched = full ? new Set(fresh.subscriptions) : null;
  // A listing that failed this time (a 403, a 5xx, retries spent) says nothing of what it would have listed: what the
  // last read found there stays, rather than vanish as if deleted (a group losing a server would move its primary).
  const failedListings = new Set(fresh.gaps.map((g) => g.scope.toLowerCase()));
  const listingRead = (i: { readonly subscriptionId: string }): boolean => !failedListings.has(listingOf(i));
  // Of the previous facts: what lies outside the re-read subscriptions, or inside them where the listing failed (and,
  // after a full read, still watched).
  const kept = <T extends { readonly subscriptionId: string }>(items: readonly T[]): T[] =>
    items.filter((i) => (!reread.has(i.subscriptionId) || !listingRead(i)) && (watched === null || watched.has(i.subscriptionId)));
  // Of the fresh facts: what lies inside them (a concurrent, later read may own the others).
  const taken = <T extends { readonly subscriptionId: string }>(items: readonly T[]): T[] => items.filter((i) => reread.has(i.subscriptionId));
  const byId = <T>(items: readonly T[], id: (t: T) => string): T[] => [...new Map(items.map((i) => [id(i), i])).values()].sort((a, b) => byString(id(a), id(b)));
  const before: DiscoveryFacts = previous ?? { subscriptions: [], sqlServers: [], cosmosAccounts: [], vaults: [], keys: [], gaps: [] };

  const vaults = byId([...kept(before.vaults), ...taken(fresh.vaults)], (v) => v.name);
  // Keys of a re-read vault come from the fresh read alone; keys of a vault of another subscription are not taken
  // from it; a key in a vault no subscription holds (another tenant) is the fresh read's when it read it.
  const rereadVaults = new Set(vaults.filter((v) => reread.has(v.subscriptionId)).map((v) => v.name));
  const otherFreshVaults = new Set(fresh.vaults.filter((v) => !reread.has(v.subscriptionId)).map((v) => v.name));
  const freshKeys = fresh.keys.filter((k) => !otherFreshVaults.has(k.vault));
  const freshKeyIds = new Set(freshKeys.map(keyOf));
  const keys = byId([...before.keys.filter((k) => !rereadVaults.has(k.vault) && !freshKeyIds.has(keyOf(k))), ...freshKeys], keyOf);

  // Gaps: a re-read subscription's are the fresh read's to state; so are those of a vault now found or re-read, and
  // any the fresh read reports again. A gap of a subscription neither re-read nor watched any more goes.
  const inSubscription = (g: Gap): string | null => /^\/subscriptions\/([^/]+)/i.exec(g.scope)?.[1]?.toLowerCase() ?? null;
  const known = new Set(vaults.map((v) => v.name));
  const rereadUris = vaults.filter((v) => rereadVaults.has(v.name)).map((v) => v.uri.replace(/\/+$/, '').toLowerCase());
  const freshGaps = fresh.gaps.filter((g) => {
    const sub = inSubscription(g);
    return sub === null || reread.has(sub);
  });
  const freshGapIds = new Set(freshGaps.map((g) => `${g.scope}|${g.reason}`));
  const stale = (g: Gap): boolean => {
    const sub = inSubscription(g);
    if (sub !== null) return reread.has(sub) || (watched !== null && !watched.has(sub));
    const s = g.scope.toLowerCase();
    const vault = /^vault (\S+)$/.exec(s)?.[1];
    if (vault !== undefined && known.has(vault)) return true;
    return rereadUris.some((uri) => s.startsWith(`${uri}/`)) || freshGapIds.has(`${g.scope}|${g.reason}`);
  };
  const gaps = [...before.gaps.filter((g) => !stale(g)), ...freshGaps].sort((a, b) => byString(a.scope, b.scope) || byString(a.reason, b.reason));

  const subscriptions = watched ? [...watched] : [...new Set([...before.subscriptions, ...reread])];
  return {
    subscriptions: subscriptions.sort(byString),
    sqlServers: byId([...kept(before.sqlServers), ...taken(fresh.sqlServers)], (s) => s.id),
    cosmosAccounts: byId([...kept(before.cosmosAccounts), ...taken(fresh.cosmosAccounts)], (a) => a.id),
    vaults,
    keys,
    gaps,
  };
}

/**
 * Subscriptions the facts hold in full: read, with no gap inside them. Only there does "not found" mean gone
 * (drift's `not_found`); a subscription with any unread part may still hold what was not found.
 */
export function subscriptionsReadInFull(facts: Pick<DiscoveryFacts, 'subscriptions' | 'gaps'>): Set<string> {
  const out = new Set(facts.subscriptions);
  for (const g of facts.gaps) {
    const sub = /^\/subscriptions\/([^/]+)/i.exec(g.scope)?.[1]?.toLowerCase();
    if (sub !== undefined) out.delete(sub);
  }
  return out;
}
