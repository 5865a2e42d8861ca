// The emulator as a *sender*: a Jira Cloud admin webhook with a secret, posted to keysteward's receiver. Written
// independently of keysteward's verifier (only node:crypto) so a test of that verifier against it means something.
// What Jira sends: the raw JSON body, `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret as UTF-8, raw body)>`, and
// `X-Atlassian-Webhook-Identifier`, the same on every retry of one delivery. The secret signs and is then dropped:
// it is in no delivery record and no error text.
import { createHmac, randomInt } from 'node:crypto';
import { fieldsJson, issueSelf, userJson } from './render.js';
import type { JiraStore } from './store.js';
import type { FireWebhookInput, FireWebhookResult, WebhookDelivery } from './types.js';

export interface SenderContext {
  readonly store: JiraStore;
  readonly base: string;
  readonly clock: () => number;
  readonly retryDelayMs: number;
  readonly record: (d: WebhookDelivery) => void;
  readonly nextChangelogId: () => number;
}

/** [inferred] how long one attempt may take before it counts as a connection failure. */
const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_RETRIES = 10;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A connection failure's short reason (`ECONNREFUSED`, a timeout), never the request it carried. */
function reasonOf(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    if (typeof code === 'string') return `${e.message}: ${code}`;
    if (e.name === 'TimeoutError') return `no answer within ${ATTEMPT_TIMEOUT_MS} ms`;
    return e.message;
  }
  return String(e);
}

/** The raw body Jira posts for `issueKey` (exported for tests of the payload shape). */
export function webhookBody(ctx: Pick<SenderContext, 'store' | 'base'>, issueKey: string, event: string, timestamp: number, changelogId: number): string {
  const issue = ctx.store.findIssue(issueKey);
  if (!issue) throw new Error(`unknown issue ${issueKey}`);
  const actor = ctx.store.firstUser;
  return JSON.stringify({
    timestamp,
    webhookEvent: event,
    issue_event_type_name: 'issue_generic',
    user: userJson(ctx.base, actor),
    issue: { id: issue.id, self: issueSelf(ctx.base, issue), key: issue.key, fields: fieldsJson(ctx.base, ctx.store, issue) },
    changelog: { id: String(changelogId), items: [] },
  });
}

export async function fireWebhook(ctx: SenderContext, input: FireWebhookInput): Promise<FireWebhookResult> {
  let target: URL;
  try {
    target = new URL(input.url);
  } catch {
    throw new Error('webhook url is not a URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('webhook url must be http or https');
  if (typeof input.secret !== 'string' || input.secret === '') throw new Error('webhook secret must be a non-empty string');
  const retries = input.retries ?? 0;
  if (!Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) throw new Error(`retries must be an integer from 0 to ${MAX_RETRIES}`);
  if (!ctx.store.findIssue(input.issueKey)) throw new Error(`unknown issue ${input.issueKey}`);
  const identifier = input.identifier ?? String(randomInt(1_000_000_000, 2 ** 47));
  const body = webhookBody(ctx, input.issueKey, input.event ?? 'jira:issue_updated', ctx.clock(), ctx.nextChangelogId());
  const signature = `sha256=${createHmac('sha256', Buffer.from(input.secret, 'utf8')).update(Buffer.from(body, 'utf8')).digest('hex')}`;
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': 'Atlassian Webhook HTTP Client',
    'X-Atlassian-Webhook-Identifier': identifier,
    'X-Hub-Signature': signature,
  };
  let last: FireWebhookResult = { error: 'not attempted' };
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    const at = ctx.clock();
    try {
      const res = await fetch(target, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
      const text = await res.text();
      ctx.record({ at, url: input.url, identifier, attempt, status: res.status });
      last = { status: res.status, body: text };
      // Jira retries server errors and connection failures only; any other answer ends the delivery.
      if (res.status < 500) return last;
    } catch (e) {
      const error = reasonOf(e);
      ctx.record({ at, url: input.url, identifier, attempt, status: null, error });
      last = { error };
    }
    if (attempt <= retries) await sleep(ctx.retryDelayMs);
  }
  return last;
}
