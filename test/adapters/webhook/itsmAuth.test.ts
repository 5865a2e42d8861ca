// The inbound schemes of the ITSM profiles (reliability.md W-1..W-12): Standard Webhooks with secret rotation, Jira's
// X-Hub-Signature with payload freshness, JSM's bearer token — each verifying only configured trust.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signHubSignature } from '../../../adapters/webhook/hubSignature.js';
import { jiraWebhookAuth, jsmAutomationAuth, parseExpiringSecrets, standardWebhooksAuth } from '../../../adapters/webhook/itsmAuth.js';
import { signStandardWebhook } from '../../../adapters/webhook/standardWebhooks.js';
import { parseInstant } from '../../../domain/time.js';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const OLD = 'whsec_' + Buffer.from('old-secret-old-secret-old-secret').toString('base64');
const NEW = 'whsec_' + Buffer.from('new-secret-new-secret-new-secret').toString('base64');
const body = Buffer.from('{"protector":"orders-sql","ticket":{"number":"CHG0030001"}}');

function std(secret: string, over: Record<string, string | string[]> = {}, ts = Math.floor(NOW / 1000)): Record<string, string | string[]> {
  return { 'webhook-id': 'snow-1', 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhook({ id: 'snow-1', timestamp: ts, body, secret }), ...over };
}

describe('standard profile', () => {
  const auth = standardWebhooksAuth([{ value: OLD, notAfter: NOW + 60_000 }, { value: NEW, notAfter: null }]);
  it('W-1/W-9: either secret verifies while both are configured; the old one stops after its not-after', () => {
    expect(auth.verify({ headers: std(OLD), rawBody: body, now: NOW })).toEqual({ ok: true, idempotencyKey: 'snow-1', assurance: 'signed' });
    expect(auth.verify({ headers: std(NEW), rawBody: body, now: NOW }).ok).toBe(true);
    const later = NOW + 120_000;
    expect(auth.verify({ headers: std(OLD, {}, Math.floor(later / 1000)), rawBody: body, now: later })).toMatchObject({ ok: false, status: 401 });
    expect(auth.verify({ headers: std(NEW, {}, Math.floor(later / 1000)), rawBody: body, now: later }).ok).toBe(true);
  });
  it('W-2: one byte changed, or the body re-serialised, does not verify', () => {
    const mutated = Buffer.from(body);
    mutated[5] = mutated[5] === 0x61 ? 0x62 : 0x61;
    expect(auth.verify({ headers: std(NEW), rawBody: mutated, now: NOW })).toMatchObject({ ok: false, status: 401 });
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    expect(auth.verify({ headers: std(NEW), rawBody: reserialised, now: NOW })).toMatchObject({ ok: false, status: 401 });
  });
  it('W-3: ±301 s is stale; milliseconds or a non-number is malformed', () => {
    const ts = Math.floor(NOW / 1000);
    expect(auth.verify({ headers: std(NEW, {}, ts - 301), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 401 });
    expect(auth.verify({ headers: std(NEW, {}, ts + 301), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 401 });
    expect(auth.verify({ headers: std(NEW, { 'webhook-timestamp': String(NOW) }), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 400 });
    expect(auth.verify({ headers: std(NEW, { 'webhook-timestamp': 'soon' }), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 400 });
  });
  it('W-6: any valid v1 passes; v1a or v2 alone does not; an empty list is 401', () => {
    const good = std(NEW)['webhook-signature'] as string;
    const b64 = good.slice(3);
    expect(auth.verify({ headers: std(NEW, { 'webhook-signature': `v1,AAAA ${good}` }), rawBody: body, now: NOW }).ok).toBe(true);
    expect(auth.verify({ headers: std(NEW, { 'webhook-signature': `v1a,${b64}` }), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 401 });
    expect(auth.verify({ headers: std(NEW, { 'webhook-signature': `v2,${b64}` }), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 401 });
    expect(auth.verify({ headers: std(NEW, { 'webhook-signature': '' }), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 401 });
  });
  it('W-7: a missing header, an id with a dot, a "+" timestamp, a duplicated header (kept apart or folded) are 400', () => {
    const h = std(NEW);
    const { 'webhook-id': _id, ...noId } = h;
    expect(auth.verify({ headers: noId, rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 400 });
    expect(auth.verify({ headers: std(NEW, { 'webhook-id': 'a.b' }), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 400 });
    expect(auth.verify({ headers: std(NEW, { 'webhook-timestamp': `+${Math.floor(NOW / 1000)}` }), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 400 });
    expect(auth.verify({ headers: std(NEW, { 'webhook-signature': [h['webhook-signature'] as string, 'v1,x'] }), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 400 });
    expect(auth.verify({ headers: std(NEW, { 'webhook-signature': `${h['webhook-signature'] as string}, v1,xyz=` }), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 400, reason: 'duplicated header webhook-signature' });
  });
  it('W-8: a signature of the wrong length is refused (compared only after a length check)', () => {
    expect(auth.verify({ headers: std(NEW, { 'webhook-signature': `v1,${Buffer.alloc(31).toString('base64')}` }), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 401 });
    expect(auth.verify({ headers: std(NEW, { 'webhook-signature': `v1,${Buffer.alloc(64).toString('base64')}` }), rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 401 });
  });
});

describe('jira profile (W-11)', () => {
  const secret = 'jira-admin-webhook-secret';
  const auth = jiraWebhookAuth([{ value: secret, notAfter: null }]);
  const payload = Buffer.from(JSON.stringify({ timestamp: NOW - 1000, webhookEvent: 'jira:issue_updated', issue: { key: 'CHG-1' } }));
  const headers = (over: Record<string, string> = {}): Record<string, string> => ({ 'x-hub-signature': signHubSignature(secret, payload), 'x-atlassian-webhook-identifier': '4711', ...over });
  it('a valid signature verifies (independent HMAC), keyed by the Atlassian identifier', () => {
    expect(signHubSignature(secret, payload)).toBe(`sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`);
    expect(auth.verify({ headers: headers(), rawBody: payload, now: NOW })).toEqual({ ok: true, idempotencyKey: '4711', assurance: 'signed' });
  });
  it('a missing or wrong signature is 401; a missing identifier 400; a stale payload 401', () => {
    const { 'x-hub-signature': _s, ...unsigned } = headers();
    expect(auth.verify({ headers: unsigned, rawBody: payload, now: NOW })).toMatchObject({ ok: false, status: 401, reason: 'unsigned: missing X-Hub-Signature' });
    expect(auth.verify({ headers: headers({ 'x-hub-signature': signHubSignature('other', payload) }), rawBody: payload, now: NOW })).toMatchObject({ ok: false, status: 401 });
    const { 'x-atlassian-webhook-identifier': _i, ...noId } = headers();
    expect(auth.verify({ headers: noId, rawBody: payload, now: NOW })).toMatchObject({ ok: false, status: 400 });
    expect(auth.verify({ headers: headers(), rawBody: payload, now: NOW + 400_000 })).toMatchObject({ ok: false, status: 401, reason: 'payload timestamp outside the tolerance' });
  });
});

describe('jsm-automation profile (W-12)', () => {
  const auth = jsmAutomationAuth([{ value: 'site-token-0123456789abcdef', notAfter: null }]);
  it('the right token passes with lower assurance; a wrong or missing one is 401', () => {
    expect(auth.verify({ headers: { authorization: 'Bearer site-token-0123456789abcdef' }, rawBody: body, now: NOW })).toEqual({ ok: true, idempotencyKey: null, assurance: 'token' });
    expect(auth.verify({ headers: { authorization: 'Bearer site-token-0123456789abcdeX' }, rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 401 });
    expect(auth.verify({ headers: { authorization: 'Basic c2l0ZQ==' }, rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 401 });
    expect(auth.verify({ headers: {}, rawBody: body, now: NOW })).toMatchObject({ ok: false, status: 401 });
  });
});

describe('parseExpiringSecrets', () => {
  it('reads values with optional not-after instants; a bad instant names the entry, not the value', () => {
    expect(parseExpiringSecrets(`${OLD}@2026-12-05T00:00:00Z, ${NEW}`, parseInstant)).toEqual([{ value: OLD, notAfter: Date.parse('2026-12-05T00:00:00Z') }, { value: NEW, notAfter: null }]);
    expect(() => parseExpiringSecrets(`${NEW}@tomorrow`, parseInstant)).toThrow(/^entry 1: /);
    try {
      parseExpiringSecrets(`${NEW}@tomorrow`, parseInstant);
    } catch (err) {
      expect(String(err)).not.toContain(NEW.slice(6));
    }
  });
});
