// When to alert (DESIGN.md §5, I7): once per (incident episode, stage), plus one escalation before the autoheal
// deadline. A transition's key names the episode and the stage, so claiming the key in a durable ledger is what
// makes "exactly one alert per transition" hold across redeliveries, restarts and concurrent instances —
// whoever derives the incident first at a stage claims it; everyone else finds it claimed.
import type { Incident, IncidentStage } from '../report.js';
import type { Millis } from '../time.js';

export interface AlertPolicy {
  /** Re-notify an open loss this long before its autoheal deadline (with the time left). */
  readonly escalateBefore: Millis;
}

export const DEFAULT_ALERT_POLICY: AlertPolicy = { escalateBefore: 10 * 60_000 };

export type CandidateKind = 'stage' | 'escalation';

export interface AlertCandidate {
  readonly key: string;
  readonly episode: string;
  readonly kind: CandidateKind;
  readonly incident: Incident;
}

/**
 * One episode of one incident, by its ordinal rather than its `openedAt`: evidence dated earlier that arrives
 * late (the activity-log record of the role removal behind a denial already announced) moves `openedAt` back
 * but is the same episode, and must not be announced again.
 */
export function episodeKey(i: Incident): string {
  return `${i.protector}|${i.member}|${i.cause}|#${i.episode}`;
}

export function stageKey(i: Incident, stage: IncidentStage = i.stage): string {
  return `${episodeKey(i)}|${stage}`;
}

export const OPEN_STAGES: readonly IncidentStage[] = ['at_risk', 'access_lost', 'inaccessible', 'autoheal_expired'];

/**
 * What could be announced about these incidents at `now`: each incident's current stage, and an escalation for
 * a loss whose autoheal deadline is near. The caller claims each key; only fresh claims are sent.
 */
export function alertCandidates(incidents: readonly Incident[], now: Millis, policy: AlertPolicy = DEFAULT_ALERT_POLICY): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const incident of incidents) {
    out.push({ key: stageKey(incident), episode: episodeKey(incident), kind: 'stage', incident });
    if ((incident.stage === 'access_lost' || incident.stage === 'inaccessible') && incident.autohealDeadline !== null) {
      const deadline = Date.parse(incident.autohealDeadline);
      if (now >= deadline - policy.escalateBefore && now < deadline) {
        out.push({ key: `${episodeKey(incident)}|escalation`, episode: episodeKey(incident), kind: 'escalation', incident });
      }
    }
  }
  return out;
}
