// The dashboard at `/`: server-rendered, no script, every value escaped.
import type { ProtectorSummary } from '../app/queries.js';
import { escapeHtml } from '../domain/alerts/render.js';

const esc = escapeHtml;

const COLOUR: Record<ProtectorSummary['health'], string> = {
  healthy: '#2e7d32',
  at_risk: '#f9a825',
  access_lost: '#ef6c00',
  inaccessible: '#c62828',
  autoheal_expired: '#6a1b9a',
};

export function renderDashboard(protectors: readonly ProtectorSummary[], now: number): string {
  const rows = protectors
    .map((p) => {
      const members = p.members.map((m) => `${esc(m.role)}: ${esc(m.resourceId.split('/').pop() ?? m.resourceId)} (${esc(m.vault)})`).join('<br>');
      return `<tr><td><a href="/api/protectors/${encodeURIComponent(p.id)}">${esc(p.id)}</a></td><td>${esc(p.kind)}</td><td>${esc(p.keyName)}</td><td style="color:${COLOUR[p.health]};font-weight:bold">${esc(p.health)}</td><td>${p.openIncidents}</td><td>${p.findings}</td><td>${members}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10"><title>keysteward</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top}</style></head>
<body><h1>keysteward</h1><p>Customer-managed key protectors, evaluated at ${esc(new Date(now).toISOString())}. Refreshes every 10 s.</p>
<table><thead><tr><th>protector</th><th>kind</th><th>key</th><th>health</th><th>open incidents</th><th>findings</th><th>members</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p><a href="/api/health">health</a> · <a href="/api/protectors">protectors (JSON)</a></p></body></html>
`;
}
