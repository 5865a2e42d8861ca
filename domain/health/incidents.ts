// The incident state machine, run per (protector, member, cause) over that cause's signals and the member's
// successful accesses, all sorted by time. Stages follow DESIGN.md §4.3:
//   none ─risk→ at_risk ─denial→ access_lost ─(time)→ inaccessible ─(time)→ autoheal_expired
//   at_risk|access_lost ─revert or later success→ resolved ─risk/denial→ (reopened)
import type { Evidence, Incident, IncidentCause } from '../report.js';
import type { KeyEvent } from '../events/keyEvent.js';
import type { Estate } from '../estate/model.js';
import type { Millis } from '../time.js';
import { toIso } from '../time.js';
import { compareEvents } from './order.js';
import type { ProtectorState } from './fold.js';
import { memberSignals, type Signal, type SignalEffect } from './signals.js';
import { buildProtectorView, type ProtectorView } from './view.js';

/**
 * Key Vault RBAC changes take up to 10 minutes to apply (limits.md K16): a success soon after a risky change
 * proves nothing, but a success after this delay shows the change did not cut access.
 */
export const PROPAGATION_DELAY: Millis = 10 * 60_000;

/** Evidence kept per incident: the first few signals (how it started) and the latest ones (where it is now). */
const EVIDENCE_FIRST = 3;
const EVIDENCE_LAST = 7;

// At equal instants recoveries are applied before losses, so a tie leaves the incident open (the safe side).
const EFFECT_ORDER: Record<SignalEffect, number> = { revert: 0, risk: 1, denial: 2 };

type MachineState = 'none' | 'at_risk' | 'lost' | 'resolved';

export interface Episode {
  readonly openedAt: Millis;
  readonly resolvedAt: Millis | null;
}

interface MachineResult {
  state: MachineState;
  openedAt: Millis;
  accessLostAt: Millis | null;
  resolvedAt: Millis | null;
  episodes: Episode[];
}

/** Ordinal of the current episode (0 for the first): stable when earlier-dated evidence of the same episode arrives late. */
export function episodeOrdinal(m: MachineResult): number {
  return Math.max(0, m.episodes.length - 1);
}

/** First element of a sorted list strictly after `after` and at most `until`, or null. */
export function firstBetween(sorted: readonly Millis[], after: Millis, until: Millis): Millis | null {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= after) lo = mid + 1;
    else hi = mid;
  }
  const t = sorted[lo];
  return t !== undefined && t <= until ? t : null;
}

/**
 * @param onChange called with each signal that changed the machine's state (opened, lost, resolved or reopened
 *   it); compaction keeps those, since dropping one would move an episode's start or end.
 */
export function runMachine(signals: readonly Signal[], successes: readonly Millis[], now: Millis, onChange?: (signal: Signal) => void): MachineResult {
  const sorted = [...signals].sort(
    (a, b) => a.event.time - b.event.time || EFFECT_ORDER[a.effect] - EFFECT_ORDER[b.effect] || compareEvents(a.event, b.event),
  );
  const r: MachineResult = { state: 'none', openedAt: 0, accessLostAt: null, resolvedAt: null, episodes: [] };
  let riskAt = 0;
  const resolve = (t: Millis): void => {
    r.state = 'resolved';
    r.resolvedAt = t;
    r.episodes.push({ openedAt: r.openedAt, resolvedAt: t });
  };
  const successWindow = (after: Millis, until: Millis): void => {
    if (r.state === 'lost') {
      const s = firstBetween(successes, after, until);
      if (s !== null) resolve(s);
    } else if (r.state === 'at_risk') {
      const s = firstBetween(successes, Math.max(after, riskAt + PROPAGATION_DELAY - 1), until);
      if (s !== null) resolve(s);
    }
  };
  let prev = -Infinity;
  for (const sig of sorted) {
    const t = sig.event.time;
    successWindow(prev, t);
    prev = t;
    const before = `${r.state}|${r.accessLostAt}`;
    switch (sig.effect) {
      case 'risk':
        if (r.state === 'none' || r.state === 'resolved') {
          Object.assign(r, { state: 'at_risk', openedAt: t, accessLostAt: null, resolvedAt: null });
        }
        if (r.state === 'at_risk') riskAt = t;
        break;
      case 'denial':
        if (r.state === 'none' || r.state === 'resolved') {
          Object.assign(r, { state: 'lost', openedAt: t, accessLostAt: t, resolvedAt: null });
        } else if (r.state === 'at_risk') {
          Object.assign(r, { state: 'lost', accessLostAt: t });
        }
        break;
      case 'revert':
        if (r.state === 'at_risk' || r.state === 'lost') resolve(t);
        break;
    }
    if (onChange && `${r.state}|${r.accessLostAt}` !== before) onChange(sig);
  }
  successWindow(prev, now);
  if (r.state === 'at_risk' || r.state === 'lost') r.episodes.push({ openedAt: r.openedAt, resolvedAt: null });
  return r;
}

function evidenceOf(signals: readonly Signal[]): Evidence[] {
  const events = [...new Map(signals.map((s) => [s.event.id, s.event])).values()].sort(compareEvents);
  const kept = events.length <= EVIDENCE_FIRST + EVIDENCE_LAST ? events : [...events.slice(0, EVIDENCE_FIRST), ...events.slice(-EVIDENCE_LAST)];
  return kept.map(toEvidence);
}

export function toEvidence(e: KeyEvent): Evidence {
  const base = { source: e.source, time: toIso(e.time), operation: e.operation };
  return e.kind === 'key-access' ? { ...base, status: e.status } : base;
}

function toIncident(view: ProtectorView, memberIndex: number, cause: IncidentCause, m: MachineResult, signals: readonly Signal[], now: Millis): Incident {
  const p = view.protector;
  const lostAt = m.accessLostAt;
  let stage: Incident['stage'];
  if (m.state === 'resolved') stage = 'resolved';
  else if (m.state === 'at_risk') stage = 'at_risk';
  else if (lostAt !== null && now >= lostAt + p.autohealWindow) stage = 'autoheal_expired';
  else if (lostAt !== null && now >= lostAt + p.inaccessibleAfter) stage = 'inaccessible';
  else stage = 'access_lost';
  return {
    protector: p.id,
    member: (p.members[memberIndex] as { resourceId: string }).resourceId,
    cause,
    stage,
    openedAt: toIso(m.openedAt),
    accessLostAt: lostAt === null ? null : toIso(lostAt),
    inaccessibleAt: lostAt === null ? null : toIso(lostAt + p.inaccessibleAfter),
    autohealDeadline: lostAt === null ? null : toIso(lostAt + p.autohealWindow),
    resolvedAt: m.resolvedAt === null ? null : toIso(m.resolvedAt),
    episode: episodeOrdinal(m),
    evidence: evidenceOf(signals),
  };
}

/** One incident cause of one member: its signals (after attribution) and where its machine ends. */
export interface CauseMachine {
  readonly cause: IncidentCause;
  readonly signals: readonly Signal[];
  readonly machine: MachineResult;
}

function groupByCause(signals: readonly Signal[]): Map<IncidentCause, Signal[]> {
  const byCause = new Map<IncidentCause, Signal[]>();
  for (const s of signals) {
    const list = byCause.get(s.cause);
    if (list) list.push(s);
    else byCause.set(s.cause, [s]);
  }
  return byCause;
}

function covers(episode: Episode, t: Millis): boolean {
  return episode.openedAt <= t && (episode.resolvedAt === null || t < episode.resolvedAt);
}

/**
 * The incident machines of one member, one per cause — one incident per root cause:
 * - a denial whose cause is unknown (no state explains it, no wording recognised) that happens while an incident of
 *   a known cause is open for the member is that incident's denial (it moves `at_risk` to `access_lost`), not a
 *   second `unknown_denial` incident beside it; the earliest-opened open incident takes it;
 * - SQL's own MakeDatabaseInaccessible (15–30 min late) confirms a loss: it counts as an unknown denial only when no
 *   known cause was open at the time.
 * @param onChange called with every signal that changed some machine's state (compaction keeps those).
 */
export function memberCauses(estate: Estate, view: ProtectorView, memberIndex: number, successes: readonly Millis[], now: Millis, onChange?: (signal: Signal) => void): CauseMachine[] {
  const byCause = groupByCause(memberSignals(estate, view, memberIndex));
  const unknown = byCause.get('unknown_denial') ?? [];
  byCause.delete('unknown_denial');
  const causes = [...byCause.keys()].sort();

  const first = new Map(causes.map((cause) => [cause, runMachine(byCause.get(cause) ?? [], successes, now, onChange)]));
  const unexplained: Signal[] = [];
  const grew = new Set<IncidentCause>();
  for (const signal of unknown) {
    const t = signal.event.time;
    let owner: { cause: IncidentCause; openedAt: Millis } | null = null;
    for (const cause of causes) {
      const episode = first.get(cause)?.episodes.find((ep) => covers(ep, t));
      if (episode && (owner === null || episode.openedAt < owner.openedAt)) owner = { cause, openedAt: episode.openedAt };
    }
    if (owner) {
      byCause.get(owner.cause)?.push({ ...signal, cause: owner.cause });
      grew.add(owner.cause);
    } else unexplained.push(signal);
  }

  const out: CauseMachine[] = causes.map((cause) => {
    const signals = byCause.get(cause) ?? [];
    return { cause, signals, machine: grew.has(cause) ? runMachine(signals, successes, now, onChange) : (first.get(cause) as MachineResult) };
  });
  const episodes = out.flatMap((c) => c.machine.episodes);
  const confirmations = sqlInaccessible(view, memberIndex)
    .filter((e) => !episodes.some((ep) => ep.openedAt <= e.time && (ep.resolvedAt === null || e.time <= ep.resolvedAt)))
    .map((event): Signal => ({ cause: 'unknown_denial', effect: 'denial', event }));
  const rest = [...unexplained, ...confirmations];
  if (rest.length > 0) out.push({ cause: 'unknown_denial', signals: rest, machine: runMachine(rest, successes, now, onChange) });
  return out;
}

/** Incidents of one protector at `now`, sorted by (member, cause). */
export function deriveIncidents(estate: Estate, state: ProtectorState, now: Millis, view = buildProtectorView(estate, state, now)): Incident[] {
  const incidents: Incident[] = [];
  view.protector.members.forEach((_member, i) => {
    const successes = withSqlAccessible(view, i, state.successes[i] ?? []);
    for (const { cause, signals, machine } of memberCauses(estate, view, i, successes, now)) {
      if (machine.state !== 'none') incidents.push(toIncident(view, i, cause, machine, signals, now));
    }
  });
  return incidents.sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : a.cause < b.cause ? -1 : a.cause > b.cause ? 1 : 0));
}

function sqlInaccessible(view: ProtectorView, memberIndex: number): KeyEvent[] {
  const server = view.protector.members[memberIndex]?.resourceId;
  return view.events.filter((e) => e.kind === 'sql-database-state' && e.server === server && e.state === 'inaccessible' && e.phase !== 'failure');
}

/** MakeDatabaseAccessible (Succeeded) is as good as a successful key access by the server. */
export function withSqlAccessible(view: ProtectorView, memberIndex: number, successes: readonly Millis[]): readonly Millis[] {
  const server = view.protector.members[memberIndex]?.resourceId;
  const extra = view.events.filter((e) => e.kind === 'sql-database-state' && e.server === server && e.state === 'accessible' && e.phase === 'success');
  if (extra.length === 0) return successes;
  return [...new Set([...successes, ...extra.map((e) => e.time)])].sort((a, b) => a - b);
}
