// The bodies the ITSM senders post, validated (zod safeParse) into what a request records. Thin on purpose
// (reliability.md §5 step 7): a body says which ticket, which action and — optionally — which protector; the
// approval and the protector that counts are read from the ticket itself.
import { z } from 'zod';
import type { ItsmAction, ItsmProfile, ItsmSystem, TicketRef } from './request.js';

const protectorId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: 'must be a protector id' });
const action = z.enum(['rotate', 'dry-run']);
const changeNumber = z.string().regex(/^[A-Za-z]{2,8}\d{3,12}$/, { message: 'must be a ServiceNow record number, e.g. CHG0030001' });
const sysId = z.string().regex(/^[0-9a-f]{32}$/i, { message: 'must be a 32-hex ServiceNow sys_id' });
const issueKey = z.string().regex(/^[A-Z][A-Z0-9_]{0,49}-[1-9]\d{0,9}$/, { message: 'must be a Jira issue key, e.g. CHG-12' });
const person = z.string().min(1).max(200);

/** Standard Webhooks body (the ServiceNow business-rule script; any other sender). Unknown fields are ignored. */
export const standardBodySchema = z.looseObject({
  type: z.literal('keysteward.rotation.requested').optional(),
  action: action.default('rotate'),
  protector: protectorId,
  ticket: z.union([
    z.looseObject({ system: z.literal('servicenow').optional(), number: changeNumber.optional(), sys_id: sysId.optional() }).refine((t) => t.number !== undefined || t.sys_id !== undefined, { message: 'names neither number nor sys_id' }),
    z.looseObject({ system: z.literal('jira'), key: issueKey }),
  ]),
  requestedBy: person.optional(),
});

/** A Jira Cloud admin webhook (`jira:issue_created` / `jira:issue_updated`): the issue key, its fields, who did it. */
export const jiraWebhookSchema = z.looseObject({
  timestamp: z.number().int().positive(),
  webhookEvent: z.string().min(1),
  issue: z.looseObject({ key: issueKey, fields: z.record(z.string(), z.unknown()).optional() }),
  user: z.looseObject({ accountId: z.string().optional(), displayName: z.string().optional(), emailAddress: z.string().optional() }).optional(),
});

/** A JSM automation rule's "Send web request" body, written by the rule's author with smart values. */
export const jsmAutomationSchema = z.looseObject({
  issueKey,
  action: action.default('rotate'),
  protector: protectorId.optional(),
  requestedBy: person.optional(),
  /** Optional idempotency key the rule sets (e.g. `{{issue.key}}-{{now.millis}}`); absent, one request per issue and action. */
  requestId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/).optional(),
});

export interface InboundRequest {
  readonly action: ItsmAction;
  readonly requestedProtector: string | null;
  readonly ticket: TicketRef;
  readonly requester: string | null;
  /** Set when the body carries the idempotency key (JSM); other profiles take it from a header. */
  readonly bodyIdempotencyKey: string | null;
}

export type InboundParse = { readonly ok: true; readonly request: InboundRequest } | { readonly ok: false; readonly error: string };

const issues = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

/** A protector named by a Jira field: a plain string, or a select option `{ value }`. */
function fieldProtector(value: unknown): string | null {
  const v = typeof value === 'string' ? value : typeof value === 'object' && value !== null && typeof (value as { value?: unknown }).value === 'string' ? (value as { value: string }).value : null;
  return v !== null && protectorId.safeParse(v).success ? v : null;
}

export interface InboundOptions {
  /** Which ITSM system the standard profile's tickets live in. */
  readonly standardSystem: ItsmSystem;
  /** The Jira field naming the protector, when the webhook payload carries the issue's fields. */
  readonly jiraProtectorField: string | null;
}

export function parseInbound(profile: ItsmProfile, body: unknown, options: InboundOptions): InboundParse {
  switch (profile) {
    case 'standard': {
      const p = standardBodySchema.safeParse(body);
      if (!p.success) return { ok: false, error: issues(p.error) };
      const t = p.data.ticket;
      let ticket: TicketRef;
      if ('key' in t && t.system === 'jira') ticket = { system: 'jira', key: t.key };
      else {
        const sn = t as { number?: string; sys_id?: string };
        ticket = { system: 'servicenow', table: 'change_request', number: sn.number?.toUpperCase() ?? null, sysId: sn.sys_id?.toLowerCase() ?? null };
      }
      if (ticket.system !== options.standardSystem) return { ok: false, error: `ticket: this endpoint takes ${options.standardSystem} tickets` };
      return { ok: true, request: { action: p.data.action, requestedProtector: p.data.protector, ticket, requester: p.data.requestedBy ?? null, bodyIdempotencyKey: null } };
    }
    case 'jira': {
      const p = jiraWebhookSchema.safeParse(body);
      if (!p.success) return { ok: false, error: issues(p.error) };
      const named = options.jiraProtectorField ? fieldProtector(p.data.issue.fields?.[options.jiraProtectorField]) : null;
      const who = p.data.user?.emailAddress ?? p.data.user?.displayName ?? p.data.user?.accountId ?? null;
      return { ok: true, request: { action: 'rotate', requestedProtector: named, ticket: { system: 'jira', key: p.data.issue.key }, requester: who, bodyIdempotencyKey: null } };
    }
    case 'jsm-automation': {
      const p = jsmAutomationSchema.safeParse(body);
      if (!p.success) return { ok: false, error: issues(p.error) };
      const key = p.data.requestId ?? `${p.data.issueKey}-${p.data.action}`;
      return { ok: true, request: { action: p.data.action, requestedProtector: p.data.protector ?? null, ticket: { system: 'jira', key: p.data.issueKey }, requester: p.data.requestedBy ?? null, bodyIdempotencyKey: key } };
    }
  }
}
