// `keysteward itsm send | sign | status`: sign and post a rotation request exactly as an ITSM sender would (the
// ServiceNow business-rule script — Standard Webhooks — or a Jira admin webhook), print the three signature headers for
// a body (test vectors for the admins who write the sender), and follow a request to its end.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signHubSignature } from '../adapters/webhook/hubSignature.js';
import { signStandardWebhook } from '../adapters/webhook/standardWebhooks.js';
import { LOCAL_ITSM } from '../hosts/local/itsmSecrets.js';
import { hostBase, hostRequest, sleep } from './hostApi.js';
import { UsageError } from './usageError.js';

const CHANGE = /^[A-Za-z]{2,8}\d{3,12}$/;
const ISSUE = /^[A-Z][A-Z0-9_]{0,49}-[1-9]\d{0,9}$/;
const TERMINAL = new Set(['completed', 'failed', 'refused', 'expired']);

export interface SendOptions {
  readonly profile: string;
  readonly protector: string;
  readonly ticket: string;
  readonly url?: string;
  readonly secret?: string;
  readonly action?: string;
  readonly id?: string;
  readonly sysId?: string;
  readonly protectorField?: string;
  readonly wait?: boolean;
}

/** The bytes and headers a sender posts. Exported for tests: the same body, id and timestamp give the same bytes. */
export function buildSignedRequest(o: SendOptions, now: number, id: string): { body: string; headers: Record<string, string> } {
  const action = o.action ?? 'rotate';
  if (action !== 'rotate' && action !== 'dry-run') throw new UsageError('--action must be rotate or dry-run');
  if (o.profile === 'standard') {
    const ticket = ISSUE.test(o.ticket) ? { system: 'jira', key: o.ticket } : CHANGE.test(o.ticket) ? { system: 'servicenow', number: o.ticket.toUpperCase(), ...(o.sysId ? { sys_id: o.sysId } : {}) } : null;
    if (!ticket) throw new UsageError('--ticket must be a ServiceNow change number (CHG0030001) or a Jira issue key (CHG-12)');
    const body = JSON.stringify({ type: 'keysteward.rotation.requested', action, protector: o.protector, ticket, requestedBy: process.env['USER'] ?? 'cli' });
    const timestamp = Math.floor(now / 1000);
    const signature = signStandardWebhook({ id, timestamp, body, secret: o.secret ?? process.env['KEYSTEWARD_ITSM_SECRET'] ?? LOCAL_ITSM.standardSecret });
    return { body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature } };
  }
  if (o.profile === 'jira') {
    if (!ISSUE.test(o.ticket)) throw new UsageError('--ticket must be a Jira issue key (CHG-12) for the jira profile');
    if (action !== 'rotate') throw new UsageError('the jira profile only requests rotations (a Jira webhook carries no action)');
    const field = o.protectorField ?? LOCAL_ITSM.protectorField;
    const body = JSON.stringify({ timestamp: now, webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_generic', user: { displayName: process.env['USER'] ?? 'cli' }, issue: { key: o.ticket, fields: { [field]: { value: o.protector } } } });
    const secret = o.secret ?? process.env['KEYSTEWARD_ITSM_SECRET'] ?? LOCAL_ITSM.jiraSecret;
    return { body, headers: { 'content-type': 'application/json; charset=utf-8', 'x-atlassian-webhook-identifier': id, 'x-hub-signature': signHubSignature(secret, body) } };
  }
  throw new UsageError('--profile must be standard or jira');
}

interface RequestView {
  id: string;
  state: string;
  reason: string;
  runId?: string | null;
  history?: Array<{ at: string; state: string; reason: string }>;
}

async function follow(base: string, id: string): Promise<RequestView> {
  let shown = 0;
  let lastRun = '';
  for (;;) {
    const { status, body } = await hostRequest(base, 'GET', `/api/itsm/requests/${encodeURIComponent(id)}`);
    if (status === 404) throw new UsageError(`unknown ITSM request ${id}`);
    const r = body as unknown as RequestView;
    for (const h of (r.history ?? []).slice(shown)) process.stderr.write(`${h.at}  ${h.state.padEnd(16)} ${h.reason}\n`);
    shown = r.history?.length ?? shown;
    if (r.state === 'running' && r.runId) {
      const run = (await hostRequest(base, 'GET', `/api/rotations/${encodeURIComponent(r.runId)}`)).body as { steps?: Array<{ status: string; kind: string }> };
      const steps = run.steps ?? [];
      const line = `  rotation ${r.runId}: ${steps.filter((s) => s.status === 'done').length}/${steps.length} steps done${steps.find((s) => s.status !== 'done') ? ` (next: ${steps.find((s) => s.status !== 'done')?.kind})` : ''}`;
      if (line !== lastRun) process.stderr.write(`${line}\n`);
      lastRun = line;
    }
    if (TERMINAL.has(r.state)) return r;
    await sleep(1000);
  }
}

export async function runItsmSend(o: SendOptions): Promise<void> {
  const base = hostBase(o.url);
  const now = Date.now();
  const id = o.id ?? `cli-${o.ticket.replace(/[^A-Za-z0-9]/g, '')}-${randomBytes(6).toString('hex')}`;
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new UsageError('--id must match [A-Za-z0-9_-]{1,128}');
  const { body, headers } = buildSignedRequest(o, now, id);
  let res: Response;
  try {
    res = await fetch(`${base}/api/itsm/${o.profile}`, { method: 'POST', headers, body });
  } catch (err) {
    throw new UsageError(`cannot reach the keysteward host at ${base} (${err instanceof Error ? err.message : String(err)})`);
  }
  const reply = (await res.json().catch(() => ({}))) as { id?: string; error?: string; state?: string };
  if (res.status !== 202 && res.status !== 200) {
    process.stderr.write(`keysteward answered ${res.status}: ${reply.error ?? ''}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${reply.id}\n`);
  process.stderr.write(`request ${reply.id} ${res.status === 200 ? 'already received (replay: same request, nothing new started)' : 'accepted'} — webhook id ${id}\n`);
  if (o.wait === false || !reply.id) return;
  const end = await follow(base, reply.id);
  process.stderr.write(`request ${end.id} ${end.state}: ${end.reason}\n`);
  if (end.state !== 'completed') process.exitCode = 1;
}

export async function runItsmStatus(id: string, o: { readonly url?: string; readonly wait?: boolean }): Promise<void> {
  const base = hostBase(o.url);
  if (o.wait) await follow(base, id);
  const { status, body } = await hostRequest(base, 'GET', `/api/itsm/requests/${encodeURIComponent(id)}`);
  if (status === 404) throw new UsageError(`unknown ITSM request ${id}`);
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
}

export async function runItsmSign(file: string | undefined, o: { readonly secret?: string; readonly profile?: string; readonly id?: string; readonly timestamp?: string }): Promise<void> {
  let body: Buffer;
  try {
    body = readFileSync(file === undefined || file === '-' ? 0 : file);
  } catch (err) {
    throw new UsageError(`cannot read the body from ${file ?? 'stdin'} (${err instanceof Error ? err.message : String(err)})`);
  }
  const profile = o.profile ?? 'standard';
  if (profile === 'jira') {
    process.stdout.write(`X-Hub-Signature: ${signHubSignature(o.secret ?? LOCAL_ITSM.jiraSecret, body)}\n`);
    return;
  }
  if (profile !== 'standard') throw new UsageError('--profile must be standard or jira');
  const id = o.id ?? `msg_${randomBytes(9).toString('hex')}`;
  const timestamp = o.timestamp === undefined ? Math.floor(Date.now() / 1000) : Number(o.timestamp);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new UsageError('--timestamp must be unix seconds');
  let signature: string;
  try {
    signature = signStandardWebhook({ id, timestamp, body, secret: o.secret ?? LOCAL_ITSM.standardSecret });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  process.stdout.write(`webhook-id: ${id}\nwebhook-timestamp: ${timestamp}\nwebhook-signature: ${signature}\n`);
}
