// The TicketSystem contract, run against the in-memory fake (what app/ tests use) and the real adapters — ServiceNow
// Table API and Jira / JSM REST — over HTTPS against their emulators: changes judged the same way, notes landing on
// the ticket, incidents found by correlation id, opened once and resolved, outages as ItsmUnavailableError.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTicketSystem } from '../../app/itsm/fakes/memoryTicketSystem.js';
import { ItsmRefusedError, ItsmUnavailableError, type TicketSystem } from '../../app/itsm/ports.js';
import { createJiraTickets } from '../../adapters/jira/tickets.js';
import { createServiceNowTickets } from '../../adapters/servicenow/tickets.js';
import { sameTicket } from '../../domain/itsm/approval.js';
import type { TicketRef } from '../../domain/itsm/request.js';
import { DEFAULT_CERT_DIR, ensureDevCertificate } from '../../emulators/certs.js';
import { startJiraEmulator, type JiraEmulator } from '../../emulators/jira/index.js';
import { startServiceNowEmulator, type ServiceNowEmulator } from '../../emulators/servicenow/index.js';
import { jiraDate, serviceNowDate } from '../../hosts/local/itsm.js';

const START = Date.parse('2026-12-04T10:00:00Z');
const END = Date.parse('2026-12-04T14:00:00Z');

interface ChangeSpec {
  readonly approval: 'approved' | 'pending' | 'rejected';
  readonly implementable: boolean;
  readonly closed?: boolean;
  readonly protector: string;
}

interface TicketWorld {
  readonly tickets: TicketSystem;
  seed(spec: ChangeSpec): Promise<TicketRef>;
  notes(ref: TicketRef): Promise<string[]>;
  incident(correlationId: string): Promise<{ summary: string; resolved: boolean; notes: string[] } | null>;
  outage(on: boolean): void;
}

function contract(name: string, world: () => TicketWorld): void {
  describe(`TicketSystem contract: ${name}`, () => {
    it('an approved change in an implementable state: its approval, window and protector', async () => {
      const w = world();
      const ref = await w.seed({ approval: 'approved', implementable: true, protector: 'orders-sql' });
      const facts = await w.tickets.readChange(ref);
      expect(facts).toMatchObject({ approval: 'approved', implementable: true, closed: false, windowStart: START, windowEnd: END, protectors: ['orders-sql'] });
      expect(facts && sameTicket(ref, facts.ref)).toBe(true);
    });
    it('waiting, rejected and closed changes read as such', async () => {
      const w = world();
      expect(await w.tickets.readChange(await w.seed({ approval: 'pending', implementable: false, protector: 'p1' }))).toMatchObject({ approval: 'pending', implementable: false, closed: false });
      expect(await w.tickets.readChange(await w.seed({ approval: 'rejected', implementable: false, protector: 'p1' }))).toMatchObject({ approval: 'rejected' });
      expect(await w.tickets.readChange(await w.seed({ approval: 'approved', implementable: false, closed: true, protector: 'p1' }))).toMatchObject({ closed: true, implementable: false });
    });
    it('a change that does not exist is null', async () => {
      const w = world();
      const ref = await w.seed({ approval: 'approved', implementable: true, protector: 'p1' });
      const ghost: TicketRef = ref.system === 'jira' ? { system: 'jira', key: 'CHG-9999' } : { system: 'servicenow', table: 'change_request', number: 'CHG0099999', sysId: null };
      expect(await w.tickets.readChange(ghost)).toBeNull();
    });
    it('a note lands on the change, lines kept', async () => {
      const w = world();
      const ref = await w.seed({ approval: 'approved', implementable: true, protector: 'p1' });
      await w.tickets.addNote(ref, 'keysteward started rotation rot-x\n- install-version secondary kv-wus');
      expect(await w.notes(ref)).toEqual(['keysteward started rotation rot-x\n- install-version secondary kv-wus']);
    });
    it('an incident is found by its correlation id once opened, takes notes, and resolves once', async () => {
      const w = world();
      expect(await w.tickets.findIncident('grp-1')).toBeNull();
      const ref = await w.tickets.openIncident({ correlationId: 'grp-1', summary: '[keysteward] access lost: orders-sql', description: 'orders-sql lost access', urgency: 1 });
      const found = await w.tickets.findIncident('grp-1');
      expect(found && sameTicket(ref, found)).toBe(true);
      await w.tickets.addNote(ref, 'stage advanced: inaccessible');
      await w.tickets.resolveIncident(ref, 'resolved: access restored');
      await w.tickets.resolveIncident(ref, 'resolved again');
      const seen = await w.incident('grp-1');
      expect(seen?.summary).toBe('[keysteward] access lost: orders-sql');
      expect(seen?.resolved).toBe(true);
      expect(seen?.notes).toContain('stage advanced: inaccessible');
      expect(seen?.notes.filter((n) => n.includes('resolved again'))).toEqual([]);
    });
    it('an outage is ItsmUnavailableError, and the system works again after it', async () => {
      const w = world();
      const ref = await w.seed({ approval: 'approved', implementable: true, protector: 'p1' });
      w.outage(true);
      await expect(w.tickets.readChange(ref)).rejects.toBeInstanceOf(ItsmUnavailableError);
      await expect(w.tickets.addNote(ref, 'x')).rejects.toBeInstanceOf(ItsmUnavailableError);
      w.outage(false);
      expect((await w.tickets.readChange(ref))?.approval).toBe('approved');
    });
  });
}

function memoryWorld(): TicketWorld {
  const tickets = new MemoryTicketSystem('servicenow');
  let n = 0;
  return {
    tickets,
    seed: async (spec) => {
      n++;
      const ref: TicketRef = { system: 'servicenow', table: 'change_request', number: `CHG00${30000 + n}`, sysId: n.toString(16).padStart(32, 'a') };
      tickets.setChange({ ref, approval: spec.approval, implementable: spec.implementable, closed: spec.closed ?? false, stateLabel: 'x', windowStart: START, windowEnd: END, protectors: [spec.protector] });
      return { ...ref, sysId: null };
    },
    notes: async (ref) => tickets.notes(ref),
    incident: async (c) => {
      const i = tickets.incidents.get(c);
      return i ? { summary: i.input.summary, resolved: i.resolved, notes: i.notes } : null;
    },
    outage: (on) => void (tickets.down = on),
  };
}

const cert = await ensureDevCertificate(DEFAULT_CERT_DIR);
const tls = { cert: cert.certPem, key: cert.keyPem };
const SN_USER = { name: 'svc.keysteward', password: 'contract-pass-1' };
const JIRA_USER = { email: 'keysteward@contoso.example', apiToken: 'contract-token-1', accountId: 'acc-ks' };
let snow: ServiceNowEmulator;
let jira: JiraEmulator;
beforeAll(async () => {
  snow = await startServiceNowEmulator({ tls, users: [{ ...SN_USER, roles: ['itil'] }] });
  jira = await startJiraEmulator({
    tls,
    users: [JIRA_USER],
    projects: [{ key: 'CHG', serviceDesk: true }, { key: 'OPS' }],
    fields: [{ id: 'customfield_10050', name: 'protector', type: 'option' }, { id: 'customfield_10060', name: 'start', type: 'datetime' }, { id: 'customfield_10061', name: 'end', type: 'datetime' }],
  });
});
afterAll(async () => {
  await snow?.close();
  await jira?.close();
});

function serviceNowWorld(): TicketWorld {
  return {
    tickets: createServiceNowTickets({ url: snow.url, credentials: { kind: 'basic', username: SN_USER.name, password: SN_USER.password }, incident: { category: 'security' } }),
    seed: async (spec) => {
      const r = snow.createChange({
        approval: { approved: 'approved', pending: 'requested', rejected: 'rejected' }[spec.approval],
        state: spec.closed ? '4' : spec.implementable ? '-1' : '-3',
        start_date: serviceNowDate(START),
        end_date: serviceNowDate(END),
        u_keysteward_protector: spec.protector,
      });
      return { system: 'servicenow', table: 'change_request', number: r['number'] ?? null, sysId: null };
    },
    notes: async (ref) => (ref.system === 'servicenow' ? snow.journal('change_request', ref.number ?? ref.sysId ?? '').map((j) => j.value) : []),
    incident: async (c) => {
      const r = snow.records('incident').find((i) => i['correlation_id'] === c);
      return r ? { summary: r['short_description'] ?? '', resolved: r['state'] === '6', notes: [...snow.journal('incident', r['sys_id'] ?? '').map((j) => j.value), r['close_notes'] ?? ''] } : null;
    },
    outage: (on) => snow.outage(on ? { status: 503 } : null),
  };
}

function jiraWorld(): TicketWorld {
  return {
    tickets: createJiraTickets({ url: jira.url, email: JIRA_USER.email, apiToken: JIRA_USER.apiToken, protectorField: 'customfield_10050', windowStartField: 'customfield_10060', windowEndField: 'customfield_10061', incident: { project: 'OPS', issueType: 'Incident' } }),
    seed: async (spec) => {
      const { key } = jira.createIssue({
        project: 'CHG',
        issueType: 'Change',
        summary: 'rotate',
        status: spec.closed ? 'Canceled' : spec.implementable ? 'Implementing' : 'Awaiting approval',
        fields: { customfield_10050: { value: spec.protector }, customfield_10060: jiraDate(START), customfield_10061: jiraDate(END) },
        approvals: [{ name: 'Change approval', decision: spec.approval === 'rejected' ? 'declined' : spec.approval }],
      });
      return { system: 'jira', key };
    },
    notes: async (ref) => (ref.system === 'jira' ? jira.comments(ref.key).map((c) => c.text) : []),
    incident: async (c) => {
      const i = jira.issues().find((x) => x.labels.includes(`keysteward-${c}`));
      return i ? { summary: i.summary, resolved: ['Resolved', 'Done', 'Completed', 'Closed'].includes(i.status), notes: i.comments.map((x) => x.text) } : null;
    },
    outage: (on) => jira.outage(on ? { status: 503 } : null),
  };
}

contract('memory', memoryWorld);
contract('ServiceNow Table API (emulator)', serviceNowWorld);
contract('Jira / JSM REST (emulator)', jiraWorld);

describe('real adapters only', () => {
  it('keysteward\'s credentials refused is ItsmRefusedError, never a silent "not found"', async () => {
    const bad = createServiceNowTickets({ url: snow.url, credentials: { kind: 'basic', username: SN_USER.name, password: 'wrong' } });
    await expect(bad.readChange({ system: 'servicenow', table: 'change_request', number: 'CHG0030001', sysId: null })).rejects.toBeInstanceOf(ItsmRefusedError);
    const badJira = createJiraTickets({ url: jira.url, email: JIRA_USER.email, apiToken: 'wrong', protectorField: 'customfield_10050', windowStartField: 'customfield_10060', windowEndField: 'customfield_10061' });
    await expect(badJira.readChange({ system: 'jira', key: 'CHG-1' })).rejects.toBeInstanceOf(ItsmRefusedError);
  });

  it('ServiceNow OAuth client credentials: a token is fetched once and reused', async () => {
    const oauthSnow = await startServiceNowEmulator({ tls, users: [{ ...SN_USER, roles: ['itil'] }], oauthClients: [{ clientId: 'cid-1', clientSecret: 'csecret-1', user: SN_USER.name }] });
    try {
      const t = createServiceNowTickets({ url: oauthSnow.url, credentials: { kind: 'oauth', clientId: 'cid-1', clientSecret: 'csecret-1' } });
      const c = oauthSnow.createChange({ approval: 'approved', state: '-1', start_date: serviceNowDate(START), end_date: serviceNowDate(END), u_keysteward_protector: 'orders-sql' });
      const ref: TicketRef = { system: 'servicenow', table: 'change_request', number: c['number'] ?? null, sysId: null };
      expect((await t.readChange(ref))?.approval).toBe('approved');
      await t.addNote(ref, 'hello');
      expect(oauthSnow.requests().filter((r) => r.path === '/oauth_token.do')).toHaveLength(1);
      expect(oauthSnow.requests().filter((r) => r.path.startsWith('/api/now')).every((r) => r.user === SN_USER.name && r.status < 400)).toBe(true);
    } finally {
      await oauthSnow.close();
    }
  });

  it('a 429 carries the Retry-After the ITSM system gave', async () => {
    const limited = await startServiceNowEmulator({ tls, users: [{ ...SN_USER, roles: ['itil'] }], rateLimitPerMinute: 1 });
    try {
      const t = createServiceNowTickets({ url: limited.url, credentials: { kind: 'basic', username: SN_USER.name, password: SN_USER.password } });
      const ref: TicketRef = { system: 'servicenow', table: 'change_request', number: 'CHG0030001', sysId: null };
      await t.readChange(ref);
      const err = await t.readChange(ref).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ItsmUnavailableError);
      expect((err as ItsmUnavailableError).retryAt).toBeGreaterThan(Date.now());
    } finally {
      await limited.close();
    }
  });

  it('a ServiceNow change named by CI maps to the protector through the CI map', async () => {
    const ci = snow.createRecord('cmdb_ci', { name: 'SQL orders geo-group' });
    const c = snow.createChange({ approval: 'approved', state: '-1', start_date: serviceNowDate(START), end_date: serviceNowDate(END), cmdb_ci: ci['sys_id'] ?? '' });
    const t = createServiceNowTickets({ url: snow.url, credentials: { kind: 'basic', username: SN_USER.name, password: SN_USER.password }, protectorField: 'cmdb_ci', ciMap: new Map([['SQL orders geo-group', 'orders-sql']]) });
    expect((await t.readChange({ system: 'servicenow', table: 'change_request', number: c['number'] ?? null, sysId: null }))?.protectors).toEqual(['orders-sql']);
  });
});
