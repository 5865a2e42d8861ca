// Receiving ITSM webhooks (reliability.md W-1, W-4, W-5, W-10, I6): the durable record is written before the answer;
// a replay returns the original request and queues nothing new; a reused key with another body is 422 and a
// security log entry; with the queue unreachable the request is still acknowledged, and the reconciler queues it.
import { describe, expect, it } from 'vitest';
import { acceptItsmWebhook, type AcceptDeps } from '../../../app/itsm/accept.js';
import { itsmTick } from '../../../app/itsm/reconcile.js';
import { jiraWebhookAuth, jsmAutomationAuth, standardWebhooksAuth } from '../../../adapters/webhook/itsmAuth.js';
import { signHubSignature } from '../../../adapters/webhook/hubSignature.js';
import { signStandardWebhook } from '../../../adapters/webhook/standardWebhooks.js';
import { itsmRig } from './support.js';

const SECRET = 'whsec_' + Buffer.from('a-test-secret-of-thirty-two-byte').toString('base64');
const SYS_ID = '9d385017c611228701d22104cc95c371';

function deps(rig: ReturnType<typeof itsmRig>): AcceptDeps {
  return {
    store: rig.store,
    queue: rig.queue,
    outbox: rig.outbox,
    auth: {
      standard: standardWebhooksAuth([{ value: SECRET, notAfter: null }]),
      jira: jiraWebhookAuth([{ value: 'jira-secret', notAfter: null }]),
      'jsm-automation': jsmAutomationAuth([{ value: 'jsm-token-0123456789', notAfter: null }]),
    },
    inbound: { standardSystem: 'servicenow', jiraProtectorField: 'customfield_10050' },
    clock: rig.clock,
    log: rig.log,
    enqueueTimeoutMs: 50,
  };
}

function signed(rig: ReturnType<typeof itsmRig>, body: object | string, id = 'snow-CHG0030001-rotate', extra: Record<string, string> = {}) {
  const raw = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const ts = Math.floor(rig.clock.now() / 1000);
  return { profile: 'standard', headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook({ id, timestamp: ts, body: raw, secret: SECRET }), ...extra }, duplicated: [], rawBody: raw };
}

const BODY = { type: 'keysteward.rotation.requested', action: 'rotate', protector: 'orders-sql', ticket: { system: 'servicenow', number: 'CHG0030001', sys_id: SYS_ID }, requestedBy: 'jdoe' };

describe('accepting ITSM webhooks', () => {
  it('W-1: a valid request is one durable record (pending approval) and one job, with the accepted note queued for the ticket', async () => {
    const rig = itsmRig();
    const r = await acceptItsmWebhook(deps(rig), signed(rig, BODY));
    expect(r.kind).toBe('accepted');
    if (r.kind !== 'accepted') return;
    expect(r.queued).toBe(true);
    expect((await rig.store.get(r.request.id))?.request).toMatchObject({ state: 'pending-approval', profile: 'standard', requestedProtector: 'orders-sql', requester: 'jdoe', ticket: { number: 'CHG0030001', sysId: SYS_ID } });
    expect([...rig.queue.jobs]).toEqual([r.request.id]);
    expect((await rig.outbox.get(`${r.request.id}-accepted`))?.ticket).toEqual({ system: 'servicenow', table: 'change_request', number: 'CHG0030001', sysId: SYS_ID });
  });

  it('W-4: an exact replay returns the original request id and adds nothing', async () => {
    const rig = itsmRig();
    const first = await acceptItsmWebhook(deps(rig), signed(rig, BODY));
    rig.tick(2000); // a re-send carries a new timestamp (and signature) over the same body
    rig.queue.jobs.clear();
    const again = await acceptItsmWebhook(deps(rig), signed(rig, BODY));
    expect(again.kind).toBe('replayed');
    if (first.kind !== 'accepted' || again.kind !== 'replayed') return;
    expect(again.request.id).toBe(first.request.id);
    expect(rig.queue.jobs.size).toBe(0);
    expect(await rig.store.listOpen()).toHaveLength(1);
  });

  it('W-5: the same webhook-id with another body is 422 and a security log entry naming no secret', async () => {
    const rig = itsmRig();
    await acceptItsmWebhook(deps(rig), signed(rig, BODY));
    const r = await acceptItsmWebhook(deps(rig), signed(rig, { ...BODY, protector: 'cards-ae' }));
    expect(r.kind).toBe('mismatch');
    const entry = rig.log.lines.find((l) => l.fields['event'] === 'itsm.idempotency_mismatch');
    expect(entry?.fields).toMatchObject({ security: true, profile: 'standard' });
    expect(JSON.stringify(rig.log.lines)).not.toContain(SECRET.slice(6));
  });

  it('W-10: over 64 KiB is 413 and a wrong content type 415, both before any signature check', async () => {
    const rig = itsmRig();
    const big = signed(rig, { ...BODY, padding: 'x'.repeat(70_000) });
    expect((await acceptItsmWebhook(deps(rig), big)).kind).toBe('too-large');
    const text = signed(rig, BODY, 'snow-x', { 'content-type': 'text/plain' });
    expect((await acceptItsmWebhook(deps(rig), text)).kind).toBe('unsupported-media');
    const unsigned = { ...signed(rig, BODY), headers: { 'content-type': 'text/plain' } };
    expect((await acceptItsmWebhook(deps(rig), unsigned)).kind).toBe('unsupported-media'); // 415 although unsigned: no HMAC work done
    expect(rig.log.lines.filter((l) => l.fields['event'] === 'itsm.auth_failed')).toEqual([]);
  });

  it('an unsigned or badly signed request is refused with a security log entry holding no signature value', async () => {
    const rig = itsmRig();
    const bad = signed(rig, BODY);
    const forged = { ...bad, headers: { ...bad.headers, 'webhook-signature': `v1,${Buffer.alloc(32, 7).toString('base64')}` } };
    const r = await acceptItsmWebhook(deps(rig), forged);
    expect(r).toMatchObject({ kind: 'unauthenticated', status: 401, reason: 'no matching signature' });
    const entry = rig.log.lines.find((l) => l.fields['event'] === 'itsm.auth_failed');
    expect(entry?.fields).toMatchObject({ security: true, profile: 'standard', status: 401 });
    expect(JSON.stringify(rig.log.lines)).not.toContain(Buffer.alloc(32, 7).toString('base64'));
    expect(await rig.store.listOpen()).toEqual([]);
  });

  it('an unconfigured profile is not served, and a duplicated header the host saw is 400', async () => {
    const rig = itsmRig();
    const standardOnly = { ...deps(rig), auth: { standard: standardWebhooksAuth([{ value: SECRET, notAfter: null }]) } };
    expect((await acceptItsmWebhook(standardOnly, { ...signed(rig, BODY), profile: 'jira' })).kind).toBe('unknown-profile');
    expect((await acceptItsmWebhook(standardOnly, { ...signed(rig, BODY), profile: 'requests' })).kind).toBe('unknown-profile');
    expect((await acceptItsmWebhook(deps(rig), { ...signed(rig, BODY), duplicated: ['webhook-id'] })).kind).toBe('unauthenticated');
  });

  it('I6: with the queue unreachable the request is still acknowledged, and the next ITSM tick queues it', async () => {
    const rig = itsmRig();
    rig.queue.down = true;
    const r = await acceptItsmWebhook(deps(rig), signed(rig, BODY));
    expect(r).toMatchObject({ kind: 'accepted', queued: false });
    expect(rig.queue.jobs.size).toBe(0);
    const blocked = await itsmTick({ ...rig.advanceDeps, incidents: rig.incidents, queue: rig.queue, queueTimeoutMs: 20 });
    expect(blocked.requeued).toBeNull(); // still down: nothing lost, nothing queued
    rig.queue.down = false;
    const back = await itsmTick({ ...rig.advanceDeps, incidents: rig.incidents, queue: rig.queue });
    expect(back.requeued).toEqual(r.kind === 'accepted' ? [r.request.id] : []);
  });

  it('JSM automation: bearer token, lower assurance logged, keyed by issue and action', async () => {
    const rig = itsmRig();
    const raw = Buffer.from(JSON.stringify({ issueKey: 'CHG-7', protector: 'orders-sql' }));
    const http = { profile: 'jsm-automation', headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer jsm-token-0123456789' }, duplicated: [], rawBody: raw };
    const r = await acceptItsmWebhook(deps(rig), http);
    expect(r.kind === 'accepted' && r.request).toMatchObject({ assurance: 'token', idempotencyKey: 'CHG-7-rotate', ticket: { system: 'jira', key: 'CHG-7' } });
    expect(rig.log.lines.some((l) => l.fields['event'] === 'itsm.lower_assurance')).toBe(true);
    expect((await acceptItsmWebhook(deps(rig), { ...http, headers: { ...http.headers, authorization: 'Bearer wrong' } })).kind).toBe('unauthenticated');
  });

  it('W-11: a Jira webhook redelivered with the same X-Atlassian-Webhook-Identifier is the same request', async () => {
    const rig = itsmRig();
    const raw = Buffer.from(JSON.stringify({ timestamp: rig.clock.now(), webhookEvent: 'jira:issue_updated', issue: { key: 'CHG-3', fields: { customfield_10050: { value: 'orders-sql' } } } }));
    const http = { profile: 'jira', headers: { 'content-type': 'application/json; charset=utf-8', 'x-atlassian-webhook-identifier': '88001', 'x-hub-signature': signHubSignature('jira-secret', raw) }, duplicated: [], rawBody: raw };
    const first = await acceptItsmWebhook(deps(rig), http);
    expect(first.kind === 'accepted' && first.request).toMatchObject({ profile: 'jira', requestedProtector: 'orders-sql', ticket: { system: 'jira', key: 'CHG-3' } });
    rig.queue.jobs.clear();
    const again = await acceptItsmWebhook(deps(rig), http);
    expect(again.kind).toBe('replayed');
    expect(again.kind === 'replayed' && first.kind === 'accepted' && again.request.id === first.request.id).toBe(true);
    expect(rig.queue.jobs.size).toBe(0);
    const unsigned = await acceptItsmWebhook(deps(rig), { ...http, headers: { 'content-type': 'application/json', 'x-atlassian-webhook-identifier': '88002' } });
    expect(unsigned).toMatchObject({ kind: 'unauthenticated', status: 401 });
  });
});
