// The console's two static files, served by the host itself (CSP `script-src 'self'`, `style-src 'self'`: no inline
// script or style anywhere). The script is progressive enhancement only: every page is complete without it.
// - countdowns: each `[data-until]` shows the time left to its instant, recomputed every second;
// - live updates: the server's version of what the pages show arrives by server-sent events (`events`, the standalone
//   host) or, where that stream is not served (the Function App answers 404), by polling `version` every 5 s; when it
//   changes, the page's <main> is fetched again and swapped in place, and a polite live region says so.

export const CONSOLE_JS = `(() => {
  'use strict';
  const fmt = (ms) => {
    let s = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(s / 3600); s %= 3600;
    const m = Math.floor(s / 60); s %= 60;
    const text = h >= 48 ? Math.floor(h / 24) + ' d' : h > 0 ? h + ' h ' + m + ' min' : m > 0 ? m + ' min ' + s + ' s' : s + ' s';
    return ms < 0 ? text + ' ago' : 'in ' + text;
  };
  const tick = () => {
    const now = Date.now();
    for (const el of document.querySelectorAll('[data-until]')) {
      const t = Date.parse(el.getAttribute('data-until'));
      if (Number.isNaN(t)) continue;
      el.textContent = fmt(t - now);
      el.classList.toggle('past', t <= now);
    }
  };
  tick();
  setInterval(tick, 1000);

  const body = document.body;
  if (!body.hasAttribute('data-version')) return;
  let version = body.getAttribute('data-version');
  const status = document.getElementById('live-status');
  const say = (text) => { if (status) status.textContent = text; };
  say('Live: changes appear without reloading.');
  let busy = false;
  const refresh = async () => {
    if (busy) return;
    busy = true;
    try {
      const res = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin', cache: 'no-store' });
      if (!res.ok) { say('Live update failed (HTTP ' + res.status + '); showing the last good page.'); return; }
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const next = doc.querySelector('main');
      const current = document.querySelector('main');
      if (next && current) current.replaceWith(document.importNode(next, true));
      version = doc.body.getAttribute('data-version') || version;
      body.setAttribute('data-version', version);
      tick();
      say('Updated ' + new Date().toISOString().slice(11, 19) + ' UTC');
    } catch (e) {
      say('Live update failed; showing the last good page.');
    } finally {
      busy = false;
    }
  };
  const seen = (v) => { if (v && v !== version) { version = v; void refresh(); } };
  const poll = () => {
    body.setAttribute('data-live', 'poll');
    setInterval(async () => {
      try {
        const res = await fetch(new URL('version', document.baseURI), { credentials: 'same-origin', cache: 'no-store' });
        if (res.ok) seen((await res.json()).version);
      } catch (e) { /* the next poll retries */ }
    }, 5000);
  };
  if ('EventSource' in window) {
    const es = new EventSource(new URL('events', document.baseURI));
    es.addEventListener('version', (e) => { body.setAttribute('data-live', 'sse'); seen(e.data); });
    es.onerror = () => { if (es.readyState === EventSource.CLOSED) poll(); };
  } else poll();
})();
`;

// Colours pass WCAG AA (4.5:1) as text on their backgrounds; health is always said in words too, never by colour alone.
export const CONSOLE_CSS = `
:root { --fg: #1a1a1a; --muted: #4a4a4a; --bg: #ffffff; --panel: #f4f5f7; --line: #c9ccd1; --link: #0b57d0;
  --healthy: #1b5e20; --healthy-bg: #e8f5e9; --at_risk: #6d4c00; --at_risk-bg: #fff4d6; --access_lost: #8a3200; --access_lost-bg: #ffe8d9;
  --inaccessible: #ffffff; --inaccessible-bg: #b3261e; --autoheal_expired: #ffffff; --autoheal_expired-bg: #5b1a7a; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; z-index: 10; }
header.top { display: flex; flex-wrap: wrap; align-items: baseline; gap: 1.5rem; padding: .6rem 1.5rem; background: #1f2937; color: #fff; }
header.top a { color: #fff; }
header.top .brand { font-weight: 700; font-size: 1.1rem; text-decoration: none; }
header.top nav ul { display: flex; gap: 1.2rem; list-style: none; margin: 0; padding: 0; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
header.top .asof { margin-left: auto; font-size: .85rem; color: #e5e7eb; }
main { padding: 1rem 1.5rem 2rem; max-width: 1500px; }
h1 { font-size: 1.5rem; margin: .4rem 0 .8rem; }
h2 { font-size: 1.2rem; margin: 1.6rem 0 .6rem; }
h3 { font-size: 1.05rem; margin: 1rem 0 .4rem; }
.summary { display: flex; flex-wrap: wrap; gap: .6rem; margin: 0 0 .8rem; padding: 0; list-style: none; }
.summary li { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .35rem .7rem; }
.summary strong { font-size: 1.15rem; }
table { border-collapse: collapse; width: 100%; background: var(--bg); }
caption { text-align: left; font-weight: 600; padding: .3rem 0; color: var(--muted); }
th, td { border-bottom: 1px solid var(--line); padding: .45rem .55rem; text-align: left; vertical-align: top; }
thead th { background: var(--panel); font-size: .85rem; text-transform: uppercase; letter-spacing: .02em; color: #333; }
tbody th { font-weight: 600; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
.badge { display: inline-block; padding: .1rem .5rem; border-radius: 999px; font-weight: 700; font-size: .82rem; white-space: nowrap; border: 1px solid currentColor; }
.badge::before { content: ""; display: inline-block; width: .6em; height: .6em; margin-right: .35em; border-radius: 50%; background: currentColor; vertical-align: .05em; }
.h-healthy { color: var(--healthy); background: var(--healthy-bg); }
.h-at_risk { color: var(--at_risk); background: var(--at_risk-bg); }
.h-access_lost { color: var(--access_lost); background: var(--access_lost-bg); }
.h-inaccessible { color: var(--inaccessible); background: var(--inaccessible-bg); border-color: var(--inaccessible-bg); }
.h-autoheal_expired { color: var(--autoheal_expired); background: var(--autoheal_expired-bg); border-color: var(--autoheal_expired-bg); }
.s-done { color: var(--healthy); background: var(--healthy-bg); }
.s-running { color: #0b3d91; background: #e3ecff; }
.s-pending { color: #333; background: #eceff1; }
.s-failed { color: #ffffff; background: #b3261e; border-color: #b3261e; }
.incident { border: 2px solid var(--line); border-left-width: 10px; border-radius: 6px; padding: .7rem 1rem; margin: 0 0 .9rem; background: #fff; }
.incident.st-inaccessible, .incident.st-autoheal_expired { border-color: #b3261e; }
.incident.st-access_lost { border-color: #c25400; }
.incident.st-at_risk { border-color: #b08900; }
.incident h3 { margin: 0 0 .4rem; font-size: 1.1rem; }
.deadlines { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: .4rem 1.2rem; margin: .4rem 0; }
.deadline { background: var(--panel); border-radius: 6px; padding: .4rem .6rem; }
.deadline .label { display: block; font-size: .8rem; text-transform: uppercase; color: var(--muted); font-weight: 600; }
.deadline .remaining { display: block; font-size: 1.35rem; font-weight: 800; font-variant-numeric: tabular-nums; }
.deadline .remaining.past { color: #b3261e; }
.first-step { background: #fffbe6; border: 1px solid #e0c36a; border-radius: 6px; padding: .45rem .7rem; margin: .5rem 0; }
.first-step strong { display: block; font-size: .8rem; text-transform: uppercase; color: #5c4500; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .4rem 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; }
ul.plain { list-style: none; padding: 0; margin: 0; }
form.filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; margin: .4rem 0 .8rem; }
form.filters label { display: flex; flex-direction: column; font-size: .85rem; font-weight: 600; gap: .2rem; }
input, select, button { font: inherit; padding: .3rem .5rem; border: 1px solid #6b7280; border-radius: 4px; background: #fff; color: var(--fg); }
button { background: #1f2937; color: #fff; border-color: #1f2937; cursor: pointer; }
nav.pager { display: flex; gap: 1rem; align-items: center; margin: .6rem 0; }
.muted { color: var(--muted); }
.calm { background: var(--healthy-bg); color: var(--healthy); border: 1px solid var(--healthy); border-radius: 6px; padding: .6rem .9rem; font-weight: 600; }
.warn { color: #8a3200; font-weight: 600; }
progress { width: 12rem; height: 1rem; vertical-align: middle; }
ol.steps { padding-left: 1.4rem; }
ol.steps li { margin: .2rem 0; }
#live-status { font-size: .85rem; }
`;
