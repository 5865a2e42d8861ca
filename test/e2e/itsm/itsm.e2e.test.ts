// ITSM end to end through the real parts: the ServiceNow emulator's business-rule sender and the Jira emulator's
// admin webhook post signed requests to the standalone host; `keysteward worker` processes check the change against
// the ITSM emulator with keysteward's own credentials, run the rotation against the Key Vault and ARM emulators, and
// write every step back to the ticket through the outbox.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../adapters/logging/logger.js';
import type { RotationRun } from '../../../domain/rotation/run.js';
import { serviceNowDate } from '../../../hosts/local/itsm.js';
import { LOCAL_ITSM } from '../../../hosts/local/itsmSecrets.js';
import { startLocalStack, type LocalStack } from '../../../hosts/local/stack.js';
import { drainOutbox, ESTATE, getRequest, importOrder, PRIMARY_VAULT, SERVERS, startWorker, versionCounts, waitForState } from './support.js';

let stack: LocalStack;
let worker: ChildProcess;

beforeAll(async () => {
  stack = await startLocalStack({ estatePath: ESTATE, port: 0, log: silentLogger, trafficEveryMs: 0, timers: false, feedIntervalMs: 60_000, env: { ROTATION_WORKER: 'false' } });
  worker = startWorker(stack);
}, 60_000);

afterAll(async () => {
  worker?.kill('SIGTERM');
  await stack?.close();
});

const journal = (change: string): string[] => stack.itsm.servicenow.journal('change_request', change).map((j) => j.value);

describe('ITSM rotation requests', () => {
  it('an approved ServiceNow change rotates orders-sql secondaries first, every step lands as a work note, and the request ends completed', async () => {
    const before = await versionCounts(stack);
    const auditStart = stack.kv.auditLog().length;
    const armStart = stack.armSql.history().length;
    const sent = await stack.itsm.servicenow.sendRotationRequest({ url: `${stack.host.url}/api/itsm/standard`, secret: LOCAL_ITSM.standardSecret, change: 'CHG0030001', protector: 'orders-sql' });
    expect('status' in sent && sent.status).toBe(202);
    const id = (JSON.parse((sent as { body: string }).body) as { id: string }).id;
    const done = await waitForState(stack, id, 'completed', 90_000);
    expect(done.history.map((h) => h.state)).toEqual(['pending-approval', 'approved', 'running', 'completed']);
    expect(done.ticket).toMatchObject({ system: 'servicenow', number: 'CHG0030001' });

    // One new version per vault (I1), imported secondaries first, and the primary server switched last (I2).
    const after = await versionCounts(stack);
    for (const v of Object.keys(before)) expect(after[v], v).toBe((before[v] ?? 0) + 1);
    const imports = importOrder(stack, auditStart);
    expect(imports).toHaveLength(3);
    expect(imports[imports.length - 1]).toBe(PRIMARY_VAULT);
    const switches = stack.armSql.history().slice(armStart).filter((h) => h.operation === 'encryptionProtector/write').map((h) => h.serverName);
    expect(switches[switches.length - 1]).toBe(SERVERS.primary);

    // The run says which change approved it.
    const run = (await (await fetch(`${stack.host.url}/api/rotations/${done.runId}`)).json()) as RotationRun;
    expect(run.origin).toEqual({ kind: 'itsm', request: id, profile: 'standard', system: 'servicenow', ticket: 'CHG0030001' });

    await drainOutbox(stack);
    const notes = journal('CHG0030001');
    expect(notes[0]).toMatch(/^keysteward received rotation request itsm-standard-/);
    expect(notes.some((n) => n.startsWith('keysteward found the change ready: approved, Implement'))).toBe(true);
    expect(notes.some((n) => n.startsWith(`keysteward started rotation ${done.runId}`))).toBe(true);
    for (const server of [...SERVERS.secondaries, SERVERS.primary]) expect(notes.some((n) => n.includes(`: ${server} (`) && /now uses https:\/\/kv-demo-\w+\.vault\.localhost:\d+\/keys\/orders-tde\/[0-9a-f]{32} \(thumbprint [A-Za-z0-9_-]{43}\)/.test(n)), server).toBe(true);
    const completed = notes.find((n) => n.startsWith(`keysteward rotation ${done.runId} of orders-sql completed.`));
    expect(completed).toBeDefined();
    for (const v of ['kv-demo-eus', 'kv-demo-wus', 'kv-demo-neu']) expect(completed).toMatch(new RegExp(`- ${v}: version [0-9a-f]{32} \\(thumbprint [A-Za-z0-9_-]{43}\\)`));
    // Written with keysteward's own integration user, every call authenticated.
    const calls = stack.itsm.servicenow.requests().filter((r) => r.path.startsWith('/api/now'));
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((r) => r.user))).toEqual(new Set([stack.itsm.env['SERVICENOW_USERNAME']]));

    // W-4: the same event sent again (ServiceNow re-send, same webhook-id) is the same request, and starts nothing.
    const versionsNow = await versionCounts(stack);
    const again = await stack.itsm.servicenow.sendRotationRequest({ url: `${stack.host.url}/api/itsm/standard`, secret: LOCAL_ITSM.standardSecret, change: 'CHG0030001', protector: 'orders-sql' });
    expect('status' in again && again.status).toBe(200);
    expect((JSON.parse((again as { body: string }).body) as { id: string }).id).toBe(id);
    await stack.host.services.itsmTick();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await versionCounts(stack)).toEqual(versionsNow);
  }, 120_000);

  it('an unapproved change stays pending-approval and expires when its window closes, with no new key version anywhere', async () => {
    stack.itsm.servicenow.updateRecord('change_request', 'CHG0030002', { end_date: serviceNowDate(Date.now() + 9_000) });
    const before = await versionCounts(stack);
    const sent = await stack.itsm.servicenow.sendRotationRequest({ url: `${stack.host.url}/api/itsm/standard`, secret: LOCAL_ITSM.standardSecret, change: 'CHG0030002', protector: 'orders-sql' });
    const id = (JSON.parse((sent as { body: string }).body) as { id: string }).id;
    await new Promise((r) => setTimeout(r, 2000));
    const waiting = await getRequest(stack, id);
    expect(waiting.state).toBe('pending-approval');
    expect(waiting.reason).toMatch(/waiting for approval \(approval: pending, state: Authorize\)/);
    const expired = await waitForState(stack, id, 'expired', 30_000);
    expect(expired.reason).toMatch(/the change window closed at/);
    expect(await versionCounts(stack)).toEqual(before);
    await drainOutbox(stack);
    expect(journal('CHG0030002').some((n) => n.startsWith(`keysteward rotation request ${id} expired`))).toBe(true);
  }, 60_000);

  it('a badly signed request is 401 and records nothing', async () => {
    const sent = await stack.itsm.servicenow.sendRotationRequest({ url: `${stack.host.url}/api/itsm/standard`, secret: `whsec_${Buffer.from('not-the-configured-secret').toString('base64')}`, change: 'CHG0030001', protector: 'orders-sql', webhookId: 'snow-forged-1' });
    expect('status' in sent && sent.status).toBe(401);
    expect((await fetch(`${stack.host.url}/api/itsm/requests/itsm-standard-000000000000000000000000`)).status).toBe(404);
  });

  it('W-13: a ServiceNow outage is visible in health; the request and its notes wait, and all of it lands once ServiceNow is back', async () => {
    stack.itsm.servicenow.updateRecord('change_request', 'CHG0030002', { approval: 'approved', state: '-1', end_date: serviceNowDate(Date.now() + 3_600_000) });
    stack.itsm.servicenow.outage({ status: 503 });
    const sent = await stack.itsm.servicenow.sendRotationRequest({ url: `${stack.host.url}/api/itsm/standard`, secret: LOCAL_ITSM.standardSecret, change: 'CHG0030002', protector: 'orders-sql', webhookId: 'snow-CHG0030002-rotate-approved' });
    expect('status' in sent && sent.status).toBe(202); // acceptance needs Table Storage, not the ITSM system
    const id = (JSON.parse((sent as { body: string }).body) as { id: string }).id;
    type Health = { status: string; dependencies: Record<string, { status: string; detail?: string }> };
    let health: Health | null = null;
    for (let i = 0; i < 60 && health?.dependencies['servicenow']?.status !== 'degraded'; i++) {
      await stack.host.services.itsmTick();
      await new Promise((r) => setTimeout(r, 250));
      health = (await (await fetch(`${stack.host.url}/api/health`)).json()) as Health;
    }
    expect(health?.dependencies['servicenow']?.status).toBe('degraded');
    expect(health?.dependencies['servicenow']?.detail).toMatch(/answered 503.*\d+ write-back\(s\) waiting since/);
    expect(health?.status).toBe('ok'); // an ITSM outage delays write-backs; it does not make keysteward unhealthy
    const waiting = await getRequest(stack, id);
    expect(waiting.state).toBe('pending-approval');
    expect(waiting.reason).toMatch(/cannot read the ticket yet: servicenow GET \/api\/now\/table\/change_request\/[0-9a-f]{32} answered 503/);

    stack.itsm.servicenow.outage(null);
    const done = await waitForState(stack, id, 'completed', 90_000);
    // The accepted note waited out its backoff; it lands, and so does the rest.
    const until = Date.now() + 60_000;
    while (!journal('CHG0030002').some((n) => n.startsWith(`keysteward rotation ${done.runId} of orders-sql completed.`)) || !journal('CHG0030002').some((n) => n.startsWith(`keysteward received rotation request ${id}`))) {
      if (Date.now() > until) throw new Error(`notes missing: ${JSON.stringify(journal('CHG0030002'))}`);
      await stack.host.services.itsmTick();
      await new Promise((r) => setTimeout(r, 500));
    }
    const h = (await (await fetch(`${stack.host.url}/api/health`)).json()) as Health;
    expect(h.dependencies['servicenow']?.status).toBe('up');
  }, 180_000);

  it('a Jira admin webhook for an approved JSM change goes through the same path and comments every step on the issue', async () => {
    const before = await versionCounts(stack);
    const fired = await stack.itsm.jira.fireWebhook({ url: `${stack.host.url}/api/itsm/jira`, secret: LOCAL_ITSM.jiraSecret, issueKey: 'CHG-1' });
    expect('status' in fired && fired.status).toBe(202);
    const id = (JSON.parse((fired as { body: string }).body) as { id: string }).id;
    expect(id).toMatch(/^itsm-jira-/);
    const done = await waitForState(stack, id, 'completed', 90_000);
    expect(done.protector).toBe('orders-sql');
    const after = await versionCounts(stack);
    for (const v of Object.keys(before)) expect(after[v], v).toBe((before[v] ?? 0) + 1);
    await drainOutbox(stack);
    const comments = stack.itsm.jira.comments('CHG-1').map((c) => c.text);
    expect(comments.some((c) => c.startsWith(`keysteward rotation ${done.runId} of orders-sql completed.`))).toBe(true);
    expect(comments.filter((c) => c.includes('now uses'))).toHaveLength(3);
  }, 120_000);
});
