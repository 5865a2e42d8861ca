// Renders alert messages (plain text and HTML) from incidents. Pure: `now` is an argument, used for the time
// left before deadlines. A resolved incident says when access was lost and restored and for how long, never a
// countdown to a deadline that no longer applies. Only identifiers, causes, stages, times and operation names
// appear — never key material, wrapped keys, tokens or secrets (I8); evidence carries none of them by construction.
import type { Incident } from '../report.js';
import { toIso, type Millis } from '../time.js';
import type { AlertKind, AlertMessage } from './message.js';
import { AFTER_AUTOHEAL, FIRST_STEP, RESTORED_AFTER_AUTOHEAL } from './remediation.js';

export interface RenderInput {
  readonly key: string;
  readonly kind: AlertKind;
  readonly incidents: readonly Incident[];
  readonly to: readonly string[];
  readonly now: Millis;
}

const HEADLINE: Readonly<Record<Incident['stage'], string>> = {
  at_risk: 'AT RISK',
  access_lost: 'KEY ACCESS LOST',
  inaccessible: 'DATABASE INACCESSIBLE',
  autoheal_expired: 'AUTOHEAL WINDOW PASSED',
  resolved: 'RESOLVED',
};

export function shortName(resourceId: string): string {
  return resourceId.split('/').filter(Boolean).pop() ?? resourceId;
}

/** A duration as people say it: "under 1 min", "42 min", "3 h" (minutes up to two hours, then hours). */
export function span(ms: Millis): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes === 0) return 'under 1 min';
  return minutes >= 120 ? `${Math.round(minutes / 60)} h` : `${minutes} min`;
}

/** "in 12 min", "3 min ago": the time left matters more than the timestamp when a deadline is near. */
export function relative(target: string, now: Millis): string {
  const delta = Date.parse(target) - now;
  return delta >= 0 ? `in ${span(delta)}` : `${span(delta)} ago`;
}

/** How long access was lost, for a resolved incident that lost it (null when it never did). */
function lostFor(i: Incident): Millis | null {
  return i.stage === 'resolved' && i.accessLostAt && i.resolvedAt ? Date.parse(i.resolvedAt) - Date.parse(i.accessLostAt) : null;
}

/** Restored after the autoheal deadline: the database does not heal itself. */
const restoredTooLate = (i: Incident): boolean => i.stage === 'resolved' && !!i.resolvedAt && !!i.autohealDeadline && Date.parse(i.resolvedAt) > Date.parse(i.autohealDeadline);

function subjectOf(input: RenderInput): string {
  const [first] = input.incidents;
  if (!first) return '[keysteward] (no incidents)';
  const head = input.kind === 'escalation' ? `ESCALATION: ${HEADLINE[first.stage]}` : HEADLINE[first.stage];
  if (input.incidents.length === 1) {
    const lost = lostFor(first);
    let tail = '';
    if (lost !== null) tail = ` — access restored after ${span(lost)}`;
    else if (first.stage !== 'resolved' && first.autohealDeadline) tail = ` — autoheal deadline ${first.autohealDeadline} (${relative(first.autohealDeadline, input.now)})`;
    return `[keysteward] ${head}: ${first.protector} / ${shortName(first.member)} — ${first.cause}${tail}`;
  }
  const protectors = new Set(input.incidents.map((i) => i.protector)).size;
  return `[keysteward] ${head}: ${input.incidents.length} members of ${protectors} protector(s) — ${first.cause}`;
}

function incidentLines(i: Incident, now: Millis): string[] {
  const lines = [
    `Protector: ${i.protector}`,
    `Member:    ${i.member}`,
    `Cause:     ${i.cause}`,
    `Stage:     ${i.stage}`,
    `Opened:    ${i.openedAt}`,
  ];
  if (i.stage === 'resolved') lines.push(...resolvedLines(i));
  else {
    if (i.accessLostAt) lines.push(`Access lost:   ${i.accessLostAt}`);
    if (i.inaccessibleAt) lines.push(`Inaccessible:  ${i.inaccessibleAt} (${relative(i.inaccessibleAt, now)})`);
    if (i.autohealDeadline) lines.push(`Autoheal deadline: ${i.autohealDeadline} (${relative(i.autohealDeadline, now)})`);
  }
  lines.push('Evidence:');
  for (const e of i.evidence) lines.push(`  - ${e.time} ${e.source} ${e.operation}${e.status !== undefined ? ` (HTTP ${e.status})` : ''}`);
  if (i.stage !== 'resolved') {
    lines.push(`First step: ${FIRST_STEP[i.cause]}`);
    if (i.stage === 'autoheal_expired') lines.push(AFTER_AUTOHEAL);
  } else if (restoredTooLate(i)) lines.push(RESTORED_AFTER_AUTOHEAL);
  return lines;
}

/** What happened, in the past tense: the deadlines of an open incident no longer apply. */
function resolvedLines(i: Incident): string[] {
  if (!i.accessLostAt) return [`Resolved:  ${i.resolvedAt ?? 'time unknown'} (before access was lost)`];
  const lost = lostFor(i);
  const lines = [`Access lost:     ${i.accessLostAt}`, `Access restored: ${i.resolvedAt ?? 'time unknown'}${lost === null ? '' : ` (lost for ${span(lost)})`}`];
  // Azure makes a database Inaccessible about `inaccessibleAfter` after it loses its key: say so only when the loss lasted that long.
  if (i.inaccessibleAt && i.resolvedAt && Date.parse(i.resolvedAt) > Date.parse(i.inaccessibleAt)) {
    lines.push(`Inaccessible:    likely from about ${i.inaccessibleAt} until access was restored`);
  }
  return lines;
}

export const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderAlert(input: RenderInput): AlertMessage {
  const blocks = input.incidents.map((i) => incidentLines(i, input.now));
  const intro =
    input.kind === 'escalation'
      ? 'Access is still lost and the autoheal deadline is near. After it, recovery is manual and failover-group settings, point-in-time-restore history and tags are lost.'
      : input.kind === 'resolved'
        ? input.incidents.every((i) => i.accessLostAt === null)
          ? 'The change that put access at risk was undone before access was lost.'
          : 'Access was restored.'
        : 'A customer-managed key protecting these databases is (or is about to be) out of reach. Azure makes a database Inaccessible about 10 minutes after it loses access to its key.';
  const text = [intro, '', ...blocks.flatMap((b) => [...b, '']), `Sent by keysteward at ${toIso(input.now)}.`].join('\n');
  const html = [
    `<p>${escapeHtml(intro)}</p>`,
    ...blocks.map((b) => `<pre>${escapeHtml(b.join('\n'))}</pre>`),
    `<p><small>Sent by keysteward at ${escapeHtml(toIso(input.now))}.</small></p>`,
  ].join('\n');
  return { key: input.key, kind: input.kind, subject: subjectOf(input), text, html, to: input.to, incidents: input.incidents, createdAt: toIso(input.now) };
}
