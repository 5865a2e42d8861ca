// The incident board (`/`): every open incident, most urgent first — stage, when the database goes Inaccessible and
// when the autoheal window closes (absolute UTC and the time left), cause, evidence, the first remediation step and
// the alert's delivery on each channel — then the protectors, filtered, searched and paged on the server.
import { FIRST_STEP, AFTER_AUTOHEAL } from '../../domain/alerts/remediation.js';
import type { ConsoleView } from '../../app/console/view.js';
import type { AlertTransition } from '../../app/queries.js';
import type { ProtectorSummaryView, Health } from '../../domain/console/summary.js';
import { HEALTH_ORDER } from '../../domain/console/summary.js';
import type { Incident } from '../../domain/report.js';
import { countdown, esc, healthBadge, HEALTH_LABEL, query, remaining, shortId, statusBadge, utc } from './layout.js';

export const PAGE_SIZE = 50;
export const INCIDENT_PAGE_SIZE = 25;
export const KINDS = ['sql-tde', 'cosmos-cmk', 'cosmos-always-encrypted'] as const;

export interface BoardQuery {
  readonly q: string;
  readonly health: Health | '';
  readonly kind: (typeof KINDS)[number] | '';
  readonly page: number;
  readonly ipage: number;
}

/** The protectors the filters select, in estate order (one pass; no copy of 10,000 rows is rendered). */
export function selectProtectors(view: ConsoleView, q: BoardQuery): ProtectorSummaryView[] {
  const needle = q.q.trim().toLowerCase();
  return view.protectors.filter(
    (p) =>
      (q.health === '' || p.health === q.health) &&
      (q.kind === '' || p.kind === q.kind) &&
      (needle === '' || p.id.toLowerCase().includes(needle) || p.keyName.toLowerCase().includes(needle) || p.members.some((m) => m.resourceId.toLowerCase().includes(needle) || m.vault.toLowerCase().includes(needle))),
  );
}

function alertCell(alert: AlertTransition | null | undefined): string {
  if (!alert) return '<p class="warn">Alert not sent yet (the next sweep claims it).</p>';
  const channels = Object.entries(alert.channels);
  if (channels.length === 0) return `<p class="warn">Alert ${esc(alert.status)}: no channel configured.</p>`;
  const items = channels
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([channel, d]) => {
      const when = d.sentAt ? ` at <time datetime="${esc(d.sentAt)}">${esc(utc(d.sentAt))}</time>` : '';
      const error = d.lastError ? ` — last error: ${esc(d.lastError)}` : '';
      return `<li>${esc(channel)}: ${statusBadge(d.status)}${when}${d.attempts > 1 ? ` after ${esc(d.attempts)} attempts` : ''}${error}</li>`;
    });
  return `<ul class="plain">${items.join('')}</ul>`;
}

function incidentCard(i: Incident, alert: AlertTransition | null | undefined, view: ConsoleView, n: number): string {
  const member = view.byId.get(i.protector)?.members.find((m) => m.resourceId === i.member);
  const where = member ? `${esc(member.role)} in ${esc(member.region ?? 'unknown region')}, vault <code>${esc(member.vault)}</code>` : '';
  const deadline = (label: string, iso: string | null, missing: string): string =>
    `<div class="deadline"><span class="label">${label}</span>${iso ? countdown(iso, view.evaluatedAt) : `<span class="muted">${missing}</span>`}</div>`;
  const evidence = i.evidence
    .slice(-5)
    .reverse()
    .map((e) => `<li><time datetime="${esc(e.time)}">${esc(utc(e.time))}</time> ${esc(e.source)} <code>${esc(e.operation)}</code>${e.status !== undefined ? ` (HTTP ${esc(e.status)})` : ''}</li>`)
    .join('');
  const afterAutoheal = i.stage === 'autoheal_expired' ? `<p>${esc(AFTER_AUTOHEAL)}</p>` : '';
  const id = `incident-${n}`;
  return `<article class="incident st-${esc(i.stage)}" aria-labelledby="${id}">
<h3 id="${id}">${healthBadge(i.stage)} <a href="protectors/${encodeURIComponent(i.protector)}">${esc(i.protector)}</a> / ${esc(shortId(i.member))} — ${esc(i.cause.replace(/_/g, ' '))}</h3>
<p class="muted">${where}${where ? ' · ' : ''}opened <time datetime="${esc(i.openedAt)}">${esc(utc(i.openedAt))}</time>${i.accessLostAt ? ` · access lost <time datetime="${esc(i.accessLostAt)}">${esc(utc(i.accessLostAt))}</time>` : ''}</p>
<div class="deadlines">${deadline('Goes Inaccessible', i.inaccessibleAt, 'not until access is lost')}${deadline('Autoheal deadline', i.autohealDeadline, 'not until access is lost')}</div>
<div class="first-step"><strong>First step</strong>${esc(FIRST_STEP[i.cause])}${afterAutoheal}</div>
<dl class="facts"><dt>Alerts</dt><dd>${alertCell(alert)}</dd><dt>Evidence</dt><dd><details><summary>${esc(i.evidence.length)} record(s), latest ${esc(i.evidence.length ? utc(i.evidence[i.evidence.length - 1]?.time ?? '') : '—')}</summary><ul class="plain">${evidence}</ul></details></dd></dl>
</article>`;
}

function incidentsSection(view: ConsoleView, alerts: ReadonlyArray<AlertTransition | null>, q: BoardQuery): string {
  const total = view.incidents.length;
  const byStage = new Map<string, number>();
  for (const i of view.incidents) byStage.set(i.stage, (byStage.get(i.stage) ?? 0) + 1);
  const pages = Math.max(1, Math.ceil(total / INCIDENT_PAGE_SIZE));
  const ipage = Math.min(q.ipage, pages);
  // The same slice whose alerts the handler read (incidentsOnPage): alerts[n] belongs to shown[n].
  const shown = incidentsOnPage(view, q);
  const summary = ['autoheal_expired', 'inaccessible', 'access_lost', 'at_risk']
    .filter((s) => byStage.has(s))
    .map((s) => `<li>${healthBadge(s)} <strong>${esc(byStage.get(s))}</strong></li>`)
    .join('');
  const body =
    total === 0
      ? '<p class="calm">No open incidents: every protector member can reach its key.</p>'
      : `<ul class="summary" aria-label="Open incidents by stage">${summary}</ul>${shown.map((i, n) => incidentCard(i, alerts[n], view, n)).join('\n')}${pager('ipage', ipage, pages, q, 'Incident pages')}`;
  return `<section aria-labelledby="incidents-h" id="incidents"><h1 id="incidents-h">Open incidents: ${esc(total)}</h1>${body}</section>`;
}

/** Page 1 is the default: left out of links. */
const one = (n: number): number | undefined => (n === 1 ? undefined : n);

function pager(param: 'page' | 'ipage', current: number, pages: number, q: BoardQuery, label: string): string {
  if (pages <= 1) return '';
  const link = (n: number, text: string, rel: string): string => `<a href="./${query({ q: q.q, health: q.health, kind: q.kind, page: one(param === 'page' ? n : q.page), ipage: one(param === 'ipage' ? n : q.ipage) })}" rel="${rel}">${text}</a>`;
  return `<nav class="pager" aria-label="${esc(label)}">${current > 1 ? link(current - 1, '← Previous', 'prev') : ''}<span>Page ${esc(current)} of ${esc(pages)}</span>${current < pages ? link(current + 1, 'Next →', 'next') : ''}</nav>`;
}

function memberList(p: ProtectorSummaryView): string {
  return `<ul class="plain">${p.members
    .map(
      (m) =>
        `<li><strong>${esc(m.role)}</strong> ${esc(shortId(m.resourceId))} · ${esc(m.region ?? '—')} · <code>${esc(m.vault)}</code> · version <code title="${esc(m.version ?? 'unknown')}">${esc(m.version ? m.version.slice(0, 8) : 'unknown')}</code>${m.thumbprint ? ` · thumbprint <code title="${esc(m.thumbprint)}">${esc(m.thumbprint.slice(0, 12))}…</code>` : ''}</li>`,
    )
    .join('')}</ul>`;
}

function protectorsSection(view: ConsoleView, q: BoardQuery): string {
  const selected = selectProtectors(view, q);
  const pages = Math.max(1, Math.ceil(selected.length / PAGE_SIZE));
  const current = Math.min(q.page, pages);
  const rows = selected
    .slice((current - 1) * PAGE_SIZE, current * PAGE_SIZE)
    .map((p) => {
      const findings = [...p.findings.map((f) => f.code), ...view.discoveryFindings(p.id).map((f) => f.code)];
      const next = p.nextRotationAt ? `<time datetime="${esc(p.nextRotationAt)}">${esc(utc(p.nextRotationAt).slice(0, 10))}</time> <span class="muted">(${esc(remaining(Date.parse(p.nextRotationAt), view.evaluatedAt))})</span>` : '<span class="muted">not scheduled</span>';
      return `<tr><th scope="row"><a href="protectors/${encodeURIComponent(p.id)}">${esc(p.id)}</a><br><span class="muted">${esc(p.kind)} · key <code>${esc(p.keyName)}</code></span></th><td>${healthBadge(p.health)}${p.incidents.length ? `<br>${esc(p.incidents.length)} open incident(s)` : ''}</td><td>${memberList(p)}</td><td>${p.geoConsistent ? 'consistent' : '<span class="warn">DIVERGENT</span>'}</td><td>${findings.length ? `<ul class="plain">${[...new Set(findings)].map((c) => `<li><code>${esc(c)}</code></li>`).join('')}</ul>` : '<span class="muted">none</span>'}</td><td>${next}</td></tr>`;
    })
    .join('\n');
  const option = (value: string, label: string, chosen: string): string => `<option value="${esc(value)}"${value === chosen ? ' selected' : ''}>${esc(label)}</option>`;
  const counts = new Map<string, number>();
  for (const p of view.protectors) counts.set(p.health, (counts.get(p.health) ?? 0) + 1);
  return `<section aria-labelledby="protectors-h" id="protectors"><h2 id="protectors-h">Protectors</h2>
<form class="filters" method="get" action="./" role="search" aria-label="Filter protectors">
<label for="f-q">Search id, key, server or vault<input id="f-q" name="q" type="search" value="${esc(q.q)}" maxlength="200"></label>
<label for="f-health">Health<select id="f-health" name="health">${option('', 'Any health', q.health)}${HEALTH_ORDER.map((h) => option(h, `${HEALTH_LABEL[h] ?? h} (${counts.get(h) ?? 0})`, q.health)).join('')}</select></label>
<label for="f-kind">Kind<select id="f-kind" name="kind">${option('', 'Any kind', q.kind)}${KINDS.map((k) => option(k, k, q.kind)).join('')}</select></label>
<button type="submit">Filter</button>${q.q || q.health || q.kind ? ' <a href="./">Clear</a>' : ''}
</form>
<table><caption>${esc(selected.length)} of ${esc(view.protectors.length)} protectors${selected.length > PAGE_SIZE ? `, ${esc(PAGE_SIZE)} a page` : ''}</caption>
<thead><tr><th scope="col">Protector</th><th scope="col">Health</th><th scope="col">Members (role · server · region · vault · key version · thumbprint)</th><th scope="col">Geo-replica key material</th><th scope="col">Findings</th><th scope="col">Next rotation</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="6">No protector matches.</td></tr>'}
</tbody></table>
${pager('page', current, pages, q, 'Protector pages')}
</section>`;
}

/** The incidents shown on this board page (their alerts are read for these alone). */
export function incidentsOnPage(view: ConsoleView, q: BoardQuery): Incident[] {
  const pages = Math.max(1, Math.ceil(view.incidents.length / INCIDENT_PAGE_SIZE));
  const ipage = Math.min(q.ipage, pages);
  return view.incidents.slice((ipage - 1) * INCIDENT_PAGE_SIZE, ipage * INCIDENT_PAGE_SIZE);
}

export function renderBoard(view: ConsoleView, alerts: ReadonlyArray<AlertTransition | null>, q: BoardQuery): string {
  const unreadable = view.unreadable > 0 ? `<p class="warn" role="alert">${esc(view.unreadable)} stored state(s) could not be read; their protectors show as healthy until fixed (see the service log).</p>` : '';
  return `${unreadable}${incidentsSection(view, alerts, q)}\n${protectorsSection(view, q)}`;
}
