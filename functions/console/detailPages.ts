// The protector page (timeline, key versions per vault and what keeps each from retirement, rotation history), the
// rotations page (runs in progress step by step, rewrap campaigns, ITSM requests, discovery) and one rotation's page.
import { FIRST_STEP } from '../../domain/alerts/remediation.js';
import type { ProtectorConsole } from '../../app/console/detail.js';
import type { Blocker } from '../../domain/retirement/gate.js';
import type { RotationRun } from '../../domain/rotation/run.js';
import type { KeyEvent } from '../../domain/events/keyEvent.js';
import type { DiscoveryStatus } from '../../app/drift/status.js';
import type { ActiveWork } from '../services.js';
import { ticketLabel } from '../../domain/itsm/request.js';
import { countdown, esc, healthBadge, shortId, statusBadge, utc } from './layout.js';

function blockerText(b: Blocker): string {
  switch (b.code) {
    case 'in_use_by_member':
      return `in use by ${esc(shortId(b.member))}`;
    case 'current_version_unknown':
      return `${esc(shortId(b.member))}'s current version is unknown`;
    case 'backup_retention':
      return `backup retention runs until <time datetime="${esc(b.until)}">${esc(utc(b.until))}</time>`;
    case 'retention_start_unknown':
      return 'no completed rotation records when it stopped being the protector';
    case 'deks_wrapped':
      return `${esc(b.count)} DEK(s) still wrapped`;
    case 'deks_unknown':
      return `DEKs not countable: ${esc(b.reason)}`;
  }
}

function eventText(e: KeyEvent): string {
  const parts: string[] = [esc(e.kind)];
  if ('key' in e && e.key && typeof e.key === 'object' && 'vault' in e.key) parts.push(`vault <code>${esc(String(e.key.vault))}</code>`);
  if (e.kind === 'key-access') parts.push(`${esc(e.outcome)} (HTTP ${esc(e.status)}${e.denial ? `, ${esc(e.denial)}` : ''})`);
  return parts.join(' · ');
}

function runSteps(run: RotationRun): string {
  const done = run.steps.filter((s) => s.status === 'done').length;
  return `<p><progress max="${esc(run.steps.length)}" value="${esc(done)}" aria-label="Steps done">${esc(done)} of ${esc(run.steps.length)}</progress> ${esc(done)} of ${esc(run.steps.length)} steps done</p>
<ol class="steps">${run.steps
    .map(
      (s) =>
        `<li>${statusBadge(s.status)} <strong>${esc(s.kind)}</strong>${s.role ? ` · ${esc(s.role)}` : ''}${s.member ? ` ${esc(shortId(s.member))}` : ''}${s.vault ? ` · <code>${esc(s.vault)}</code>` : ''}${s.finishedAt ? ` · finished <time datetime="${esc(s.finishedAt)}">${esc(utc(s.finishedAt))}</time>` : s.startedAt ? ` · started <time datetime="${esc(s.startedAt)}">${esc(utc(s.startedAt))}</time>` : ''}${s.outcome?.thumbprint ? ` · thumbprint <code>${esc(s.outcome.thumbprint.slice(0, 12))}…</code>` : ''}${s.error ? ` — <span class="warn">${esc(s.error.code)}: ${esc(s.error.message)}</span>` : ''}</li>`,
    )
    .join('')}</ol>`;
}

function runHeading(run: RotationRun, level: 'h2' | 'h3'): string {
  const origin = run.origin ? ` · ITSM ${esc(run.origin.ticket)} (${esc(run.origin.system)})` : '';
  return `<${level}><a href="rotations/${encodeURIComponent(run.id)}">${esc(run.id)}</a> ${statusBadge(run.status)}</${level}>
<p class="muted">protector <a href="protectors/${encodeURIComponent(run.protector)}">${esc(run.protector)}</a> · ${esc(run.strategy)} · requested by ${esc(run.requestedBy)}${origin} · started <time datetime="${esc(run.createdAt)}">${esc(utc(run.createdAt))}</time> · updated <time datetime="${esc(run.updatedAt)}">${esc(utc(run.updatedAt))}</time></p>`;
}

export function renderProtector(c: ProtectorConsole): string {
  const s = c.summary;
  const now = c.evaluatedAt;
  const incidents = s.incidents.length
    ? `<ul>${s.incidents.map((i) => `<li>${healthBadge(i.stage)} ${esc(shortId(i.member))} — ${esc(i.cause.replace(/_/g, ' '))}${i.inaccessibleAt ? ` · goes Inaccessible ${countdown(i.inaccessibleAt, now)}` : ''}${i.autohealDeadline ? ` · autoheal deadline ${countdown(i.autohealDeadline, now)}` : ''}<br>First step: ${esc(FIRST_STEP[i.cause])}</li>`).join('')}</ul>`
    : '<p class="calm">No open incident.</p>';
  const members = `<table><caption>Members</caption><thead><tr><th scope="col">Role</th><th scope="col">Resource</th><th scope="col">Region</th><th scope="col">Vault</th><th scope="col">Current key version</th><th scope="col">Thumbprint</th></tr></thead><tbody>${s.members
    .map((m) => `<tr><td>${esc(m.role)}</td><th scope="row">${esc(shortId(m.resourceId))}<br><span class="muted mono">${esc(m.resourceId)}</span></th><td>${esc(m.region ?? '—')}</td><td><code>${esc(m.vault)}</code></td><td><code>${esc(m.version ?? 'unknown')}</code></td><td><code>${esc(m.thumbprint ?? '—')}</code></td></tr>`)
    .join('')}</tbody></table>`;
  const findings = [...s.findings, ...c.discoveryFindings];
  const findingList = findings.length ? `<ul>${findings.map((f) => `<li><code>${esc(f.code)}</code> · vault <code>${esc(f.vault)}</code> · <span class="mono">${esc(JSON.stringify(f.detail))}</span></li>`).join('')}</ul>` : '<p class="muted">None.</p>';
  const blockersOf = new Map(c.retirement.map((r) => [`${r.vault}/${r.version}`, r.blockers]));
  const versions = c.versions
    .map(
      (v) => `<table><caption>Vault <code>${esc(v.vault)}</code>: versions of <code>${esc(s.keyName)}</code>, newest first</caption><thead><tr><th scope="col">Version</th><th scope="col">Created</th><th scope="col">Enabled</th><th scope="col">Thumbprint</th><th scope="col">In use by</th><th scope="col">Retirable?</th></tr></thead><tbody>${
        v.versions
          .map((x) => {
            const blockers = blockersOf.get(`${v.vault}/${x.version}`) ?? [];
            const retire = x.enabled === false ? 'already disabled' : blockers.length === 0 ? 'yes, as far as keysteward knows (the gate counts DEKs when you disable it)' : `no: ${blockers.map(blockerText).join('; ')}`;
            return `<tr><th scope="row"><code>${esc(x.version)}</code></th><td>${x.createdAt ? esc(utc(x.createdAt)) : 'unknown'}</td><td>${x.enabled === null ? 'unknown' : x.enabled ? 'yes' : 'no'}</td><td><code>${esc(x.thumbprint ?? '—')}</code></td><td>${x.usedBy.length ? x.usedBy.map((m) => esc(shortId(m))).join(', ') : '<span class="muted">no member</span>'}</td><td>${retire}</td></tr>`;
          })
          .join('') || '<tr><td colspan="6">No version known (reconcile reads the vault inventory).</td></tr>'
      }</tbody></table>`,
    )
    .join('\n');
  const timeline = c.timeline.length
    ? `<ol class="plain">${c.timeline.map((e) => `<li><time datetime="${esc(new Date(e.time).toISOString())}">${esc(utc(e.time))}</time> · ${esc(e.source)} <code>${esc(e.operation)}</code> · ${eventText(e)}</li>`).join('')}</ol>`
    : '<p class="muted">No recorded event changed its state.</p>';
  const runs = c.runs.length ? c.runs.map((r) => `<section class="run">${runHeading(r, 'h3')}${runSteps(r)}</section>`).join('\n') : '<p class="muted">No rotation recorded.</p>';
  return `<h1>${esc(s.id)} ${healthBadge(s.health)}</h1>
<dl class="facts"><dt>Kind</dt><dd>${esc(s.kind)}</dd><dt>Key</dt><dd><code>${esc(s.keyName)}</code></dd><dt>Geo-replica key material</dt><dd>${s.geoConsistent ? 'consistent' : '<span class="warn">DIVERGENT</span>'}</dd><dt>Next rotation</dt><dd>${s.nextRotationAt ? countdown(s.nextRotationAt, now) : 'not scheduled'}</dd><dt>API</dt><dd><a href="/api/protectors/${encodeURIComponent(s.id)}">JSON</a></dd></dl>
<section aria-labelledby="p-inc"><h2 id="p-inc">Open incidents</h2>${incidents}</section>
<section aria-labelledby="p-mem"><h2 id="p-mem">Members</h2>${members}</section>
<section aria-labelledby="p-find"><h2 id="p-find">Findings</h2>${findingList}</section>
<section aria-labelledby="p-ver"><h2 id="p-ver">Key versions per vault</h2>${versions}</section>
<section aria-labelledby="p-rot"><h2 id="p-rot">Rotation history</h2>${runs}</section>
<section aria-labelledby="p-time"><h2 id="p-time">Timeline</h2><p class="muted">Events that changed its state, newest first (successful key reads are not listed).</p>${timeline}</section>`;
}

export function renderRotations(work: ActiveWork, discovery: DiscoveryStatus | null): string {
  const runs = work.rotations.length ? work.rotations.map((r) => `<section class="run" aria-label="Rotation ${esc(r.id)}">${runHeading(r, 'h3')}${runSteps(r)}</section>`).join('\n') : '<p class="muted">No rotation is running.</p>';
  const rewraps = work.rewraps.length
    ? `<table><caption>Rewrap campaigns not yet ended</caption><thead><tr><th scope="col">Campaign</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col">Error</th></tr></thead><tbody>${work.rewraps
        .map((r) => {
          const p = r.progress as Record<string, number> | null;
          const progress = p ? Object.entries(p).map(([k, v]) => `${esc(k)} ${esc(v)}`).join(' · ') : 'not started';
          return `<tr><th scope="row">${esc(r.request.id)}<br><span class="muted">${esc(r.request.protector)} · ${esc(r.request.store)}</span></th><td>${statusBadge(r.state)}</td><td>${progress}</td><td>${esc(r.error ?? '')}</td></tr>`;
        })
        .join('')}</tbody></table>`
    : '<p class="muted">No rewrap campaign in progress.</p>';
  const itsm = work.itsm.length
    ? `<table><caption>ITSM requests not yet ended</caption><thead><tr><th scope="col">Request</th><th scope="col">Ticket</th><th scope="col">Protector</th><th scope="col">State</th><th scope="col">Why</th></tr></thead><tbody>${work.itsm
        .map((r) => `<tr><th scope="row">${esc(r.id)}<br><span class="muted">${esc(r.profile)} · ${esc(r.action)} · received ${esc(utc(r.receivedAt))}</span></th><td>${esc(ticketLabel(r.ticket))}</td><td>${esc(r.protector ?? r.requestedProtector ?? '—')}</td><td>${statusBadge(r.state)}${r.runId ? `<br><a href="rotations/${encodeURIComponent(r.runId)}">run</a>` : ''}</td><td>${esc(r.reason)}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="muted">No ITSM request waiting or running.</p>';
  let disc = '<p class="muted">Discovery is not available on this host.</p>';
  if (discovery) {
    const last = discovery.lastRun;
    const drift = discovery.drift;
    disc = `<dl class="facts"><dt>Enabled</dt><dd>${discovery.enabled ? 'yes' : 'no'}</dd><dt>Last run</dt><dd>${last ? `${esc(last.kind)} (${esc(last.reason)}), finished <time datetime="${esc(last.finishedAt)}">${esc(utc(last.finishedAt))}</time>` : 'never'}</dd>${discovery.failure ? `<dt>Last failure</dt><dd class="warn">${esc(JSON.stringify(discovery.failure).slice(0, 300))}</dd>` : ''}<dt>Drift of the estate file</dt><dd>${drift.length ? `<ul>${drift.slice(0, 50).map((x) => `<li><code>${esc(x.code)}</code> ${esc(x.protector)} <span class="mono">${esc(JSON.stringify(x.detail))}</span></li>`).join('')}</ul>` : 'none'}</dd><dt>Unmanaged CMK resources</dt><dd>${esc(discovery.unmanaged.length)}</dd></dl><p><a href="/api/discovery">Full discovery status (JSON)</a></p>`;
  }
  return `<h1>Rotations in progress: ${esc(work.rotations.length)}</h1>
${runs}
<section aria-labelledby="rw-h"><h2 id="rw-h">DEK rewrap campaigns</h2>${rewraps}</section>
<section aria-labelledby="itsm-h"><h2 id="itsm-h">ITSM requests</h2>${itsm}</section>
<section aria-labelledby="disc-h"><h2 id="disc-h">Discovery</h2>${disc}</section>`;
}

export function renderRotation(run: RotationRun): string {
  const failedPreflight = run.preflight.filter((p) => !p.ok);
  return `<h1>Rotation ${esc(run.id)}</h1>${runHeading(run, 'h2')}
${failedPreflight.length ? `<p class="warn">Preflight refused: ${failedPreflight.map((p) => `${esc(p.check)}: ${esc(p.reason)}`).join('; ')}</p>` : ''}
<section aria-labelledby="steps-h"><h2 id="steps-h">Steps</h2>${runSteps(run)}</section>
<p><a href="/api/rotations/${encodeURIComponent(run.id)}">JSON</a></p>`;
}
