// The console's page shell and the small pieces every page uses. Every value that reaches the HTML goes through
// `esc` (attribute values are always double-quoted, so escaping & < > " is enough); links are built with
// encodeURIComponent. Links are relative to <base href>, so the same pages serve at `/` (standalone host) and at
// `/api/dashboard/` (Function App).
import { escapeHtml } from '../../domain/alerts/render.js';

export const esc = (s: string | number | null | undefined): string => escapeHtml(String(s ?? ''));

export type Section = 'board' | 'rotations' | 'protector' | 'rotation';

export interface PageInput {
  readonly base: string;
  readonly title: string;
  readonly section: Section;
  readonly now: number;
  /** What live updates compare (absent: the page is not live). */
  readonly version?: string;
  readonly main: string;
}

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** "2026-12-06 05:31:12 UTC": absolute, unambiguous at 03:00 in any time zone. */
export function utc(iso: string | number): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "in 9 min 12 s", "3 min 4 s ago": the same words the script writes each second. */
export function remaining(targetMs: number, now: number): string {
  const ms = targetMs - now;
  let s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  s %= 3600;
  const m = Math.floor(s / 60);
  s %= 60;
  const text = h >= 48 ? `${Math.floor(h / 24)} d` : h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
  return ms < 0 ? `${text} ago` : `in ${text}`;
}

/** An instant as absolute UTC plus the time left, which the script keeps counting. */
export function countdown(iso: string, now: number): string {
  const t = Date.parse(iso);
  return `<time datetime="${esc(iso)}">${esc(utc(iso))}</time> <span class="remaining${t <= now ? ' past' : ''}" data-until="${esc(iso)}">${esc(remaining(t, now))}</span>`;
}

export const HEALTH_LABEL: Readonly<Record<string, string>> = {
  healthy: 'Healthy',
  at_risk: 'At risk',
  access_lost: 'Access lost',
  inaccessible: 'Inaccessible',
  autoheal_expired: 'Autoheal expired',
  resolved: 'Resolved',
};

export function healthBadge(health: string): string {
  return `<span class="badge h-${esc(health)}">${esc(HEALTH_LABEL[health] ?? health)}</span>`;
}

export function statusBadge(status: string): string {
  const cls = status === 'done' || status === 'completed' || status === 'sent' ? 's-done' : status === 'running' || status === 'approved' ? 's-running' : status.startsWith('fail') || status === 'refused' || status === 'expired' ? 's-failed' : 's-pending';
  return `<span class="badge ${cls}">${esc(status)}</span>`;
}

export const shortId = (resourceId: string): string => resourceId.split('/').filter(Boolean).pop() ?? resourceId;

/** A query string from the given pairs (empty values left out). */
export function query(pairs: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(pairs)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function page(input: PageInput): string {
  const nav = (section: Section, href: string, label: string): string => `<li><a href="${href}"${input.section === section ? ' aria-current="page"' : ''}>${label}</a></li>`;
  const live = input.version !== undefined ? ` data-version="${esc(input.version)}"` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="${esc(input.base)}">
<title>${esc(input.title)} · keysteward</title>
<link rel="stylesheet" href="assets/console.css">
<noscript><meta http-equiv="refresh" content="30"></noscript>
<script src="assets/console.js" defer></script>
</head>
<body${live}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="./">keysteward</a>
<nav aria-label="Console"><ul>${nav('board', './', 'Incidents &amp; protectors')}${nav('rotations', 'rotations', 'Rotations, rewraps &amp; ITSM')}</ul></nav>
<p class="asof">Evaluated <time datetime="${esc(new Date(input.now).toISOString())}">${esc(utc(input.now))}</time> · <span id="live-status" role="status" aria-live="polite">Without JavaScript this page reloads every 30 s.</span></p>
</header>
<main id="main">
${input.main}
</main>
</body>
</html>
`;
}
