// The bodies each ITSM sender posts, validated into a request: what is taken, what is refused (naming the field).
import { describe, expect, it } from 'vitest';
import { parseInbound } from '../../../domain/itsm/inbound.js';
import { SYS_ID } from './support.js';

const opts = { standardSystem: 'servicenow' as const, jiraProtectorField: 'customfield_10050' };

describe('parseInbound', () => {
  it('standard: the ServiceNow script body', () => {
    const r = parseInbound('standard', { type: 'keysteward.rotation.requested', action: 'rotate', protector: 'orders-sql', ticket: { system: 'servicenow', number: 'chg0030001', sys_id: SYS_ID }, requestedBy: 'jdoe', extra: 1 }, opts);
    expect(r).toEqual({ ok: true, request: { action: 'rotate', requestedProtector: 'orders-sql', ticket: { system: 'servicenow', table: 'change_request', number: 'CHG0030001', sysId: SYS_ID }, requester: 'jdoe', bodyIdempotencyKey: null } });
  });

  it.each([
    [{ protector: 'orders-sql', ticket: {} }, /ticket: names neither number nor sys_id|ticket/],
    [{ protector: 'orders sql', ticket: { number: 'CHG0030001' } }, /protector: must be a protector id/],
    [{ protector: 'orders-sql', action: 'destroy', ticket: { number: 'CHG0030001' } }, /action/],
    [{ protector: 'orders-sql', ticket: { sys_id: 'nope' } }, /ticket/],
    [{ protector: 'orders-sql', ticket: { system: 'jira', key: 'CHG-1' } }, /this endpoint takes servicenow tickets/],
    ['not an object', /body|expected object/i],
  ])('standard refuses %j', (body, reason) => {
    const r = parseInbound('standard', body, opts);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
  });

  it('jira: the issue key, the protector field when the payload carries it, who acted', () => {
    const body = { timestamp: 1, webhookEvent: 'jira:issue_updated', user: { accountId: 'acc-1', displayName: 'Dana' }, issue: { key: 'CHG-12', fields: { customfield_10050: { value: 'orders-sql' } } } };
    expect(parseInbound('jira', body, opts)).toEqual({ ok: true, request: { action: 'rotate', requestedProtector: 'orders-sql', ticket: { system: 'jira', key: 'CHG-12' }, requester: 'Dana', bodyIdempotencyKey: null } });
    const bare = parseInbound('jira', { ...body, issue: { key: 'CHG-12' } }, opts);
    expect(bare.ok && bare.request.requestedProtector).toBeNull();
  });

  it('jsm-automation: the idempotency key is the rule\'s request id, else one per issue and action', () => {
    const a = parseInbound('jsm-automation', { issueKey: 'CHG-7', protector: 'orders-sql' }, opts);
    expect(a.ok && a.request.bodyIdempotencyKey).toBe('CHG-7-rotate');
    const b = parseInbound('jsm-automation', { issueKey: 'CHG-7', action: 'dry-run', requestId: 'r-1' }, opts);
    expect(b.ok && b.request).toMatchObject({ action: 'dry-run', bodyIdempotencyKey: 'r-1', requestedProtector: null });
    expect(parseInbound('jsm-automation', { issueKey: 'chg-7' }, opts).ok).toBe(false);
  });
});
