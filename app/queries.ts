// Read side of the HTTP API: protectors with their state, findings and incidents, derived at `now`; one protector's
// incidents also carry their alert transitions with each channel's delivery, from the alert ledger.
import { episodeKey, OPEN_STAGES, stageKey } from '../domain/alerts/policy.js';
import type { AlertKind } from '../domain/alerts/message.js';
import type { Estate, Protector } from '../domain/estate/model.js';
import type { ProtectorState } from '../domain/health/fold.js';
import { deriveProtector } from '../domain/health/report.js';
import { healthOf, type Health } from '../domain/console/summary.js';
import { fromSnapshot } from '../domain/health/snapshot.js';
import type { Finding, Incident } from '../domain/report.js';
import type { ProtectorDiscoveryFinding } from '../domain/discovery/view.js';
import { mapLimit } from './concurrency.js';
import { loadState } from './persist.js';
import { scanStates } from './stateScan.js';
import type { AlertLedger, AlertRecord, AlertStatus, ChannelDelivery, Clock, StateStore } from './ports.js';
import type { EstateSource } from './estateSource.js';

export type { Health };

export interface ProtectorSummary {
  readonly id: string;
  readonly kind: Protector['kind'];
  readonly keyName: string;
  readonly health: Health;
  readonly members: ReadonlyArray<{ readonly role: string; readonly resourceId: string; readonly vault: string }>;
  readonly openIncidents: number;
  readonly findings: number;
}

/** One alert transition of an incident, as the ledger holds it. */
export interface AlertTransition {
  /** The stage announced, or `escalation` (the re-notification before the autoheal deadline). */
  readonly transition: Incident['stage'] | 'escalation';
  readonly kind: AlertKind;
  readonly status: AlertStatus;
  readonly createdAt: string;
  readonly attempts: number;
  readonly channels: Readonly<Record<string, ChannelDelivery>>;
}

export type IncidentWithAlerts = Incident & { readonly alerts: readonly AlertTransition[] };

export interface ProtectorDetail extends ProtectorSummary {
  readonly incidents: readonly IncidentWithAlerts[];
  /** The protector's own findings, then discovery's about it (drift of the estate file, preflight facts). */
  readonly findingList: ReadonlyArray<Finding | ProtectorDiscoveryFinding>;
  readonly evaluatedAt: string;
}


export interface QueryDeps {
  readonly estates: EstateSource;
  readonly state: StateStore;
  readonly clock: Clock;
  /** Where the incidents' alert transitions are read (absent: incidents carry no alerts). */
  readonly alerts?: AlertLedger;
  /** Discovery's findings about an estate protector (absent: no discovery). */
  readonly discoveryFindings?: (protectorId: string) => readonly ProtectorDiscoveryFinding[];
}

const TRANSITIONS: ReadonlyArray<AlertTransition['transition']> = [...OPEN_STAGES, 'resolved', 'escalation'];
/** Ledger reads in flight at once for one protector's incidents. */
const READ_CONCURRENCY = 16;

/** A claimed alert as the read side shows it: the transition it announces, and its delivery per channel. */
export function transitionOf(transition: AlertTransition['transition'], r: AlertRecord): AlertTransition {
  return { transition, kind: r.message.kind, status: r.status, createdAt: r.createdAt, attempts: r.attempts, channels: r.channels };
}

/** Every transition of this incident the ledger has claimed, in stage order. */
async function alertsOf(ledger: AlertLedger, incident: Incident): Promise<AlertTransition[]> {
  const records = await Promise.all(TRANSITIONS.map((t) => ledger.get(t === 'escalation' ? `${episodeKey(incident)}|escalation` : stageKey(incident, t))));
  return records.flatMap((r, i) => (r === null ? [] : [transitionOf(TRANSITIONS[i] as AlertTransition['transition'], r)]));
}

export async function describeProtector(deps: QueryDeps, id: string): Promise<ProtectorDetail | null> {
  const detail = await deriveDetail(deps, (await deps.estates.fresh()).estate, id);
  if (!detail) return null;
  const ledger = deps.alerts;
  if (!ledger) return detail;
  const alerts = await mapLimit(detail.incidents, Math.max(1, Math.floor(READ_CONCURRENCY / TRANSITIONS.length)), (i) => alertsOf(ledger, i));
  return { ...detail, incidents: detail.incidents.map((i, n) => ({ ...i, alerts: alerts[n] ?? [] })) };
}

async function deriveDetail(deps: QueryDeps, estate: Estate, id: string): Promise<ProtectorDetail | null> {
  const protector = estate.protectors.find((p) => p.id === id);
  if (!protector) return null;
  return detailOf(deps, estate, protector, await loadState(deps.state, protector), deps.clock.now());
}

function detailOf(deps: QueryDeps, estate: Estate, protector: Protector, state: ProtectorState, now: number): ProtectorDetail {
  const id = protector.id;
  const derived = deriveProtector(estate, state, now);
  const incidents = derived.incidents;
  const findings = [...derived.findings, ...(deps.discoveryFindings?.(id) ?? [])];
  return {
    id: protector.id,
    kind: protector.kind,
    keyName: protector.keyName,
    health: healthOf(incidents),
    members: protector.members.map((m) => ({ role: m.role, resourceId: m.resourceId, vault: m.vault })),
    openIncidents: incidents.filter((i) => i.stage !== 'resolved').length,
    findings: findings.length,
    incidents: incidents.map((i) => ({ ...i, alerts: [] })),
    findingList: findings,
    evaluatedAt: new Date(now).toISOString(),
  };
}

/** The list's view of a protector: its detail without incidents, findings and evaluation time. */
function summaryOf(deps: QueryDeps, estate: Estate, protector: Protector, state: ProtectorState, now: number): ProtectorSummary {
  const { incidents: _i, findingList: _f, evaluatedAt: _e, ...summary } = detailOf(deps, estate, protector, state, now);
  return summary;
}

/** One page of GET /api/protectors: protectors in id order after `after`, and the id to ask the next page after. */
export interface ProtectorPage {
  readonly protectors: readonly ProtectorSummary[];
  /** Pass as `after` for the next page; null on the last one. */
  readonly next: string | null;
}

/** Point reads in flight for one page (a page is at most MAX_PROTECTOR_PAGE protectors). */
const PAGE_READS = 16;
export const MAX_PROTECTOR_PAGE = 1000;

/**
 * A page of the protector list, ordered by id, starting after `after` (exclusive; null: from the first). Reads only the
 * page's states, so a client walking 10,000 protectors in pages never waits on a whole-table scan, and each page is as
 * fresh as GET /api/protectors/{id}. Protectors added or removed between pages are seen or missed as with any cursor.
 */
export async function listProtectorsPage(deps: QueryDeps, page: { readonly after: string | null; readonly limit: number }): Promise<ProtectorPage> {
  const { estate } = await deps.estates.fresh();
  const ordered = [...estate.protectors].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const start = page.after === null ? 0 : ordered.findIndex((p) => p.id > (page.after as string));
  const slice = start < 0 ? [] : ordered.slice(start, start + page.limit);
  const now = deps.clock.now();
  const protectors = await mapLimit(slice, PAGE_READS, async (p) => {
    return summaryOf(deps, estate, p, await loadState(deps.state, p), now);
  });
  const last = slice[slice.length - 1];
  return { protectors, next: last !== undefined && start + slice.length < ordered.length ? last.id : null };
}

/**
 * Every protector of the estate in use, judged at one `now`, from one paged scan of the state store (not one read per
 * protector: 10,000 sequential reads took 16 s). A state the scan could not read is loaded on its own, so a corrupt
 * entity fails the request as a direct read would, rather than showing that protector healthy.
 */
export async function listProtectors(deps: QueryDeps): Promise<ProtectorSummary[]> {
  const { estate } = await deps.estates.fresh();
  const { snapshots, unreadable } = await scanStates(deps.state);
  const reread = new Set(unreadable);
  const now = deps.clock.now();
  const out: ProtectorSummary[] = [];
  for (const p of estate.protectors) {
    const state = reread.has(p.id) ? await loadState(deps.state, p) : fromSnapshot(p, snapshots.get(p.id) ?? null);
    out.push(summaryOf(deps, estate, p, state, now));
  }
  return out;
}
