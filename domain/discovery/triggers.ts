// From activity-log events to re-discovery (issue 8): which succeeded ARM operations may have changed what discovery
// reads — a failover, a failover group or replication link created or removed, a geo-secondary created, a server or
// Cosmos account written (identity, key), an encryption protector set — and which subscriptions to read again.
// Invariants:
// - Only a Success counts (operations.ts judges the records of each operation: a Start is intent, a Failure changed
//   nothing); the result depends on the set of events, not their order or duplication.
// - The scope is targeted: the operation's own subscription, the subscriptions of every member of the estate
//   protectors the resource belongs to, and of the geo partners discovery last saw for it — so a failover across two
//   subscriptions reads both, and the cost is that of the group's subscriptions, never of the whole tenant.
import type { Estate } from '../estate/model.js';
import type { KeyEvent } from '../events/keyEvent.js';
import { effectiveEvents } from '../health/operations.js';
import type { Millis } from '../time.js';
import type { DiscoveryFacts } from './facts.js';

export type TriggerChange =
  | 'failover'
  | 'forced-failover'
  | 'failover-group-written'
  | 'failover-group-deleted'
  | 'link-created'
  | 'link-removed'
  | 'server-written'
  | 'protector-written'
  | 'cosmos-account-written';

export interface DiscoveryTrigger {
  /** The SQL server, managed instance or Cosmos account (for an instance failover group: the group), lower-case. */
  readonly resourceId: string;
  readonly subscription: string;
  readonly change: TriggerChange;
  /** When the operation succeeded (its Success record). */
  readonly time: Millis;
  /** The operation as recorded, e.g. `Microsoft.Sql/servers/failoverGroups/failover/action`. */
  readonly operation: string;
}

const TRIGGER_KINDS: ReadonlySet<KeyEvent['kind']> = new Set(['sql-geo-change', 'sql-server-write', 'sql-protector-set', 'cosmos-account-write']);

/** Cheap test for the ingestion loop: the events discoveryTriggers may turn into a trigger. */
export function mayTriggerDiscovery(event: KeyEvent): boolean {
  return TRIGGER_KINDS.has(event.kind);
}

/** A database write makes a geo-secondary when its createMode says so; without a request body it may have. */
const SECONDARY_MODES: ReadonlySet<string> = new Set(['secondary', 'onlinesecondary']);

const subscriptionOf = (resourceId: string): string | null => /^\/subscriptions\/([^/]+)/.exec(resourceId)?.[1] ?? null;

function triggerOf(e: KeyEvent): DiscoveryTrigger | null {
  let resourceId: string | null;
  let change: TriggerChange;
  switch (e.kind) {
    case 'sql-geo-change':
      if (e.change === 'database-written') {
        if (e.createMode !== null && !SECONDARY_MODES.has(e.createMode)) return null;
        change = 'link-created';
      } else change = e.change;
      resourceId = e.server ?? e.resourceId;
      break;
    case 'sql-server-write':
      resourceId = e.server;
      change = 'server-written';
      break;
    case 'sql-protector-set':
      resourceId = e.server;
      change = 'protector-written';
      break;
    case 'cosmos-account-write':
      resourceId = e.account;
      change = 'cosmos-account-written';
      break;
    default:
      return null;
  }
  const subscription = subscriptionOf(resourceId);
  return subscription === null ? null : { resourceId, subscription, change, time: e.time, operation: e.operation };
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The re-discoveries the events call for: one per succeeded operation, sorted by (time, resource, change). */
export function discoveryTriggers(events: readonly KeyEvent[]): DiscoveryTrigger[] {
  const candidates = events.filter(mayTriggerDiscovery);
  if (candidates.length === 0) return [];
  const out = new Map<string, DiscoveryTrigger>();
  for (const e of effectiveEvents(candidates)) {
    const t = triggerOf(e);
    if (t) out.set(`${t.time}|${t.resourceId}|${t.change}`, t);
  }
  return [...out.values()].sort((a, b) => a.time - b.time || byString(a.resourceId, b.resourceId) || byString(a.change, b.change));
}

/**
 * Subscriptions to read again for these triggers, each with the latest trigger time that concerns it (a read that
 * began after that time already reflects the change). See the header for what the scope holds.
 */
export function rediscoveryScope(triggers: readonly DiscoveryTrigger[], estate: Estate, facts: Pick<DiscoveryFacts, 'sqlServers'> | null): Map<string, Millis> {
  const out = new Map<string, Millis>();
  const add = (resourceId: string, time: Millis): void => {
    const sub = subscriptionOf(resourceId);
    if (sub !== null && (out.get(sub) ?? -Infinity) < time) out.set(sub, time);
  };
  if (triggers.length === 0) return out;
  const groups = new Map<string, string[]>();
  for (const p of estate.protectors) {
    for (const m of p.members) groups.set(m.resourceId, [...(groups.get(m.resourceId) ?? []), ...p.members.map((x) => x.resourceId)]);
  }
  for (const s of facts?.sqlServers ?? []) groups.set(s.id, [...(groups.get(s.id) ?? []), ...s.geoLinks.map((l) => l.partner)]);
  for (const t of triggers) {
    add(t.resourceId, t.time);
    for (const related of groups.get(t.resourceId) ?? []) add(related, t.time);
  }
  return out;
}
