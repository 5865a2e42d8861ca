// Hostile and oversized input (issue 10 part 4): one Event Grid delivery of 100,000 malformed events (800 KB, under
// Event Grid's 1 MB batch limit, with the right aeg-sas-key); a 1 MiB deeply nested JSON body (`[[[[…]]]]`) and a
// 2 MiB body on every JSON route, authenticated so they reach the handler; the same 100,000 records and the nested
// body as Event Hubs messages. Every answer must be a 2xx (then every record is in the poison table, I4) or a 4xx —
// never a 5xx, a dropped connection or a dead process — and every host must still answer health afterwards. A host
// that does not is started again (and counted), so the checks after this phase still have one to ask.
import { request, type Reply } from '../api.js';
import type { Host } from '../rig.js';
import type { Phase, PhaseContext } from './phase.js';

const EVENTS = 100_000;

interface Probe {
  readonly what: string;
  readonly status: number;
  readonly ms: number;
  readonly error?: string;
}

async function timed(what: string, send: () => Promise<Reply>): Promise<Probe> {
  const t0 = Date.now();
  const r = await send();
  return { what, status: r.status, ms: Date.now() - t0, ...(r.error ? { error: r.error } : {}) };
}

function jsonRoutes(ctx: PhaseContext, host: Host): Array<{ path: string; headers: Record<string, string> }> {
  const json = { 'content-type': 'application/json' };
  const key = { ...json, 'x-api-key': ctx.rig.apiKey };
  return [
    { path: '/api/events/eventgrid', headers: { ...json, 'aeg-sas-key': ctx.rig.eventGridKey } },
    { path: '/api/itsm/standard', headers: { ...json, 'webhook-id': 'chaos-hostile', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' } },
    { path: '/api/itsm/jira', headers: { ...json, 'x-hub-signature': 'sha256=00', 'x-atlassian-webhook-identifier': 'chaos-hostile' } },
    { path: '/api/itsm/jsm-automation', headers: { ...json, authorization: 'Bearer chaos-hostile' } },
    { path: '/api/protectors/orders-sql/rotations', headers: key },
    { path: '/api/protectors/cards-ae/rewraps', headers: key },
    { path: `/api/protectors/orders-sql/versions/kv-demo-eus/${'0'.repeat(32)}/disable`, headers: key },
  ].map((r) => ({ ...r, path: `${host.url}${r.path}` }));
}

/**
 * A host that went down under hostile input leaves thousands of Table writes queued in Azurite, which would hold up
 * every later probe and check for minutes: the hosts that do not answer are killed (no more writes come), Azurite is
 * restarted gracefully (it saves what it acknowledged) to drop the rest, and they are started again — so the next
 * probe is measured on a working stack.
 */
async function recover(ctx: PhaseContext): Promise<void> {
  await ctx.eventHubs.alive();
  const dead: string[] = [];
  for (const h of ctx.rig.hosts.values()) {
    if (!h.current.process.exited() && (await h.api.answersHealth(5_000))) continue;
    await h.current.process.stop(0, 'SIGKILL');
    dead.push(h.name);
  }
  await ctx.rig.azurite.restart(0);
  for (const name of dead) await ctx.rig.startHost(name);
}

/** Whether `host` still answers health within 10 s after `after`; when it does not, it is named in `down` and the stack recovered. */
async function survived(ctx: PhaseContext, host: Host, after: string, down: string[]): Promise<void> {
  if (!host.current.process.exited() && (await host.api.answersHealth(10_000))) return;
  down.push(`host ${host.name} after ${after}${host.current.process.exited() ? ' (process exited)' : ' (no answer to health)'}`);
  ctx.log(`hostile-input: host ${host.name} down after ${after}; recovering the stack`);
  await recover(ctx);
}

export const hostile: Phase = {
  name: 'hostile-input',
  budgetMs: (short) => (short ? 240_000 : 300_000),
  async run(ctx) {
    const host = ctx.rig.hosts.get('A');
    if (!host) throw new Error('host A is not running');
    const probes: Probe[] = [];
    const down: string[] = [];
    const malformed = Array.from({ length: EVENTS }, (_, i) => String(i).padStart(5, '0'));
    const delivery = JSON.stringify(malformed);
    const nested = `${'['.repeat(524_288)}${']'.repeat(524_288)}`;
    const oversized = JSON.stringify({ records: [], padding: 'x'.repeat(2 * 1024 * 1024) });

    // Event Grid waits 30 s for an answer before it counts the delivery failed.
    const grid = await timed(`Event Grid delivery of ${EVENTS} malformed events (${delivery.length} bytes)`, () =>
      request(`${host.url}/api/events/eventgrid`, { method: 'POST', headers: { 'content-type': 'application/json', 'aeg-sas-key': ctx.rig.eventGridKey }, body: delivery, timeoutMs: 30_000 }),
    );
    probes.push(grid);
    if (grid.status >= 200 && grid.status < 300) ctx.history.delivery({ phase: 'hostile-input', via: 'eventgrid', records: malformed });
    await survived(ctx, host, grid.what, down);
    for (const route of jsonRoutes(ctx, host)) {
      const where = new URL(route.path).pathname;
      for (const [what, body] of [[`1 MiB nested JSON → ${where}`, nested], [`2 MiB body → ${where}`, oversized]] as const) {
        const probe = await timed(what, () => request(route.path, { method: 'POST', headers: route.headers, body, timeoutMs: 15_000 }));
        probes.push(probe);
        if (probe.status === 0 || probe.status >= 500) await survived(ctx, host, what, down);
      }
    }
    for (const [what, message, sequence] of [[`Event Hubs message of ${EVENTS} malformed records`, { records: malformed }, 1], ['Event Hubs message of 1 MiB nested JSON', nested, 2]] as const) {
      const t0 = Date.now();
      const hub = await ctx.eventHubs.deliver('hostile-input', { partitionId: 'chaos-hostile', messages: [message], firstSequence: sequence }, { attempts: 1, timeoutMs: 30_000 });
      probes.push({ what, status: hub.statuses[0] ?? 0, ms: Date.now() - t0, ...(hub.error ? { error: hub.error } : {}) });
      if (!(await ctx.eventHubs.alive())) {
        down.push(`the Event Hubs host after ${what}`);
        await recover(ctx);
      }
    }

    // Afterwards: every host must still answer.
    for (const h of ctx.rig.hosts.values()) await survived(ctx, h, 'the hostile input', down);
    const failures = probes.filter((p) => p.status === 0 || p.status >= 500);
    return {
      probes: probes.map((p) => `${p.what}: ${p.status === 0 ? `no answer (${p.error ?? '?'})` : p.status}${p.ms ? ` in ${p.ms} ms` : ''}`),
      failures: failures.length + down.length,
      downAfterwards: down,
    };
  },
};
