// Re-discovery in the service (issue 8), gather → decide → act: read the given subscriptions from Azure, merge the
// facts into the shared record (each subscription from its latest read), decide the overlay of the estate file from
// the merged facts, and store the record with compare-and-set. A failed read is stored too (health shows it), without
// touching the facts or the overlay.
// Invariants:
// - Per subscription the later read wins: a run keeps from its own read only the subscriptions no other run has read
//   since it began, so a long scheduled run finishing after a quick post-failover run cannot put the old roles back.
// - A conflict (another instance wrote in between) re-reads the record and merges again; the read from Azure is not
//   repeated.
import { randomBytes } from 'node:crypto';
import { overlayFrom } from '../../domain/discovery/drift.js';
import type { DiscoveryFacts } from '../../domain/discovery/facts.js';
import { decideDiscovery } from '../../domain/discovery/findings.js';
import { mergeFacts } from '../../domain/discovery/factsMerge.js';
import type { DiscoveryTrigger } from '../../domain/discovery/triggers.js';
import type { Estate } from '../../domain/estate/model.js';
import type { Clock, Logger } from '../ports.js';
import { MAX_RUN_TRIGGERS, type DiscoveryPort, type DiscoveryReason, type DiscoveryRecord, type DiscoveryRun, type DiscoveryStore, type StoredDiscovery } from './ports.js';

export interface RediscoverDeps {
  readonly discovery: DiscoveryPort;
  readonly store: DiscoveryStore;
  /** The estate FILE the overlay is decided for (never the overlaid estate: the overlay is relative to the file). */
  readonly file: Estate;
  readonly clock: Clock;
  readonly log: Logger;
  /** This instance applies what it stored at once (OverlaidEstateSource.adopt). */
  readonly onStored?: (stored: StoredDiscovery) => void;
}

export interface RediscoverRequest {
  readonly reason: DiscoveryReason;
  readonly kind: DiscoveryRun['kind'];
  readonly subscriptions: readonly string[];
  readonly triggers?: readonly DiscoveryTrigger[];
}

export type RediscoverResult =
  | { readonly kind: 'stored'; readonly stored: StoredDiscovery; readonly reread: readonly string[] }
  /** Every subscription was read again by another run that began later: nothing of this read is newer. */
  | { readonly kind: 'superseded' }
  | { readonly kind: 'failed'; readonly error: string };

const MAX_SAVE_ATTEMPTS = 6;

const iso = (ms: number): string => new Date(ms).toISOString();

/** A new history of records: the store held none (see DiscoveryRecord.epoch). */
const newEpoch = (): string => randomBytes(8).toString('hex');

/** Subscriptions of this read that no later read has replaced (a read newer than ours began after ours began). */
function newerThan(record: DiscoveryRecord | null, subscriptions: readonly string[], startedAt: string): string[] {
  return subscriptions.filter((s) => (record?.gatheredAt[s] ?? '') <= startedAt);
}

function nextRecord(previous: DiscoveryRecord | null, fresh: DiscoveryFacts, request: RediscoverRequest, reread: readonly string[], startedAt: string, deps: RediscoverDeps): DiscoveryRecord {
  const full = request.kind === 'full';
  const facts = mergeFacts(previous?.facts ?? null, fresh, { reread, full });
  const watched = new Set(facts.subscriptions);
  const gatheredAt: Record<string, string> = {};
  for (const [sub, at] of Object.entries(previous?.gatheredAt ?? {})) if (!full || watched.has(sub)) gatheredAt[sub] = at;
  for (const sub of reread) gatheredAt[sub] = startedAt;
  const finishedAt = iso(deps.clock.now());
  const triggers = request.triggers ?? [];
  return {
    seq: (previous?.seq ?? 0) + 1,
    epoch: previous?.epoch ?? newEpoch(),
    facts,
    gatheredAt,
    overlay: overlayFrom(deps.file, decideDiscovery(facts), finishedAt, previous?.overlay ?? null),
    lastRun: { reason: request.reason, kind: request.kind, subscriptions: [...reread], startedAt, finishedAt, triggers: triggers.slice(-MAX_RUN_TRIGGERS), triggerCount: triggers.length },
    failure: null,
  };
}

export async function rediscover(deps: RediscoverDeps, request: RediscoverRequest): Promise<RediscoverResult> {
  const startedAt = iso(deps.clock.now());
  const asked = [...new Set(request.subscriptions.map((s) => s.toLowerCase()))].sort();
  let fresh: DiscoveryFacts;
  try {
    fresh = (await deps.discovery.discover({ subscriptions: asked })).facts;
  } catch (err) {
    const error = (err instanceof Error ? err.message : String(err)).split('\n')[0]?.slice(0, 500) ?? 'error';
    deps.log.error({ reason: request.reason, kind: request.kind, subscriptions: asked.length, error }, 'discovery run failed; the estate in use keeps the last overlay');
    await recordFailure(deps, request, asked, error);
    return { kind: 'failed', error };
  }
  // None asked (an estate naming no subscription): discovery read every subscription it can, and those it read count.
  const subscriptions = asked.length > 0 ? asked : [...fresh.subscriptions].sort();
  for (let attempt = 1; attempt <= MAX_SAVE_ATTEMPTS; attempt++) {
    const stored = await deps.store.load();
    const reread = newerThan(stored?.record ?? null, subscriptions, startedAt);
    if (reread.length === 0 && request.kind === 'targeted') return { kind: 'superseded' };
    const record = nextRecord(stored?.record ?? null, { ...fresh, subscriptions }, request, reread, startedAt, deps);
    const saved = await deps.store.save(record, stored?.version ?? null);
    if (saved.ok) {
      const result: StoredDiscovery = { record, version: saved.version };
      deps.onStored?.(result);
      deps.log.info(
        { reason: request.reason, kind: request.kind, subscriptions: reread.length, servers: record.facts?.sqlServers.length ?? 0, overlaid: Object.keys(record.overlay?.protectors ?? {}).length, triggers: request.triggers?.length ?? 0 },
        'discovery stored',
      );
      return { kind: 'stored', stored: result, reread };
    }
  }
  throw new Error(`the discovery record kept changing under ${MAX_SAVE_ATTEMPTS} compare-and-set attempts`);
}

async function recordFailure(deps: RediscoverDeps, request: RediscoverRequest, subscriptions: readonly string[], error: string): Promise<void> {
  try {
    for (let attempt = 1; attempt <= MAX_SAVE_ATTEMPTS; attempt++) {
      const stored = await deps.store.load();
      const previous = stored?.record ?? null;
      const record: DiscoveryRecord = {
        seq: (previous?.seq ?? 0) + 1,
        epoch: previous?.epoch ?? newEpoch(),
        facts: previous?.facts ?? null,
        gatheredAt: previous?.gatheredAt ?? {},
        overlay: previous?.overlay ?? null,
        lastRun: previous?.lastRun ?? null,
        failure: { at: iso(deps.clock.now()), error, consecutive: (previous?.failure?.consecutive ?? 0) + 1, kind: request.kind, subscriptions: [...subscriptions] },
      };
      const saved = await deps.store.save(record, stored?.version ?? null);
      if (saved.ok) {
        deps.onStored?.({ record, version: saved.version });
        return;
      }
    }
  } catch (err) {
    deps.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'could not record the failed discovery run');
  }
}
