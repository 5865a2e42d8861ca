// Incidents open tickets: one ticket per alert group, never two for one incident (redelivery, regrouping, a second
// instance), later transitions as notes, resolved when every incident of the ticket resolved.
import { describe, expect, it } from 'vitest';
import { createIncidentTicketChannel } from '../../../app/itsm/incidentTickets.js';
import { dispatchOutbox } from '../../../app/itsm/outbox.js';
import type { AlertKind, AlertMessage } from '../../../domain/alerts/message.js';
import type { Incident } from '../../../domain/report.js';
import { silentLogger } from '../../../adapters/logging/logger.js';
import { itsmRig } from './support.js';

function incident(member: string, stage: Incident['stage']): Incident {
  return { protector: 'orders-sql', member, cause: 'permission_revoked', stage, openedAt: '2026-12-04T11:00:00.000Z', accessLostAt: '2026-12-04T11:00:00.000Z', inaccessibleAt: null, autohealDeadline: null, resolvedAt: null, episode: 0, evidence: [] };
}

function message(key: string, kind: AlertKind, incidents: Incident[], createdAt: string): AlertMessage {
  return { key, kind, subject: `[keysteward] ${kind} ${incidents.length}`, text: `${kind}: ${incidents.map((i) => i.member).join(', ')}`, html: '', to: [], incidents, createdAt };
}

async function flush(rig: ReturnType<typeof itsmRig>): Promise<void> {
  await dispatchOutbox({ outbox: rig.outbox, tickets: rig.tickets, incidents: rig.incidents, clock: rig.clock, log: silentLogger });
}

describe('incident tickets', () => {
  it('opens one ticket for a group, notes later transitions, and resolves when all of its incidents resolved', async () => {
    const rig = itsmRig();
    const channel = createIncidentTicketChannel({ outbox: rig.outbox, system: 'servicenow' });
    await channel.send(message('g-open', 'opened', [incident('/s/eus', 'access_lost'), incident('/s/wus', 'access_lost')], '2026-12-04T11:00:01.000Z'));
    await channel.send(message('g-open', 'opened', [incident('/s/eus', 'access_lost'), incident('/s/wus', 'access_lost')], '2026-12-04T11:00:01.000Z')); // redelivered
    await flush(rig);
    expect(rig.servicenow.incidents.size).toBe(1);
    const ticket = rig.servicenow.incidents.get('g-open');
    expect(ticket?.input).toMatchObject({ urgency: 1, summary: '[keysteward] opened 2' });

    await channel.send(message('g-adv', 'advanced', [incident('/s/eus', 'inaccessible'), incident('/s/wus', 'inaccessible')], '2026-12-04T11:10:01.000Z'));
    await channel.send(message('g-res1', 'resolved', [incident('/s/eus', 'resolved')], '2026-12-04T11:12:00.000Z'));
    await flush(rig);
    expect(rig.servicenow.incidents.size).toBe(1);
    expect(ticket?.notes).toEqual(['advanced: /s/eus, /s/wus', 'resolved: /s/eus']);
    expect(ticket?.resolved).toBe(false); // one of its two incidents is still open

    await channel.send(message('g-res2', 'resolved', [incident('/s/wus', 'resolved')], '2026-12-04T11:15:00.000Z'));
    await flush(rig);
    expect(ticket?.resolved).toBe(true);
  });

  it('a transition regrouped with a new incident notes the existing ticket and opens one only for the new incident', async () => {
    const rig = itsmRig();
    const channel = createIncidentTicketChannel({ outbox: rig.outbox, system: 'jira' });
    await channel.send(message('g1', 'opened', [incident('/s/eus', 'access_lost')], '2026-12-04T11:00:01.000Z'));
    await flush(rig);
    await channel.send(message('g2', 'opened', [incident('/s/eus', 'access_lost'), incident('/s/neu', 'access_lost')], '2026-12-04T11:00:05.000Z'));
    await flush(rig);
    expect([...rig.jira.incidents.keys()].sort()).toEqual(['g1', 'g2']);
    expect(rig.jira.incidents.get('g1')?.notes).toEqual(['opened: /s/eus, /s/neu']);
  });

  it('the ticket opened just before a crash is found by its correlation id, not opened again', async () => {
    const rig = itsmRig();
    const channel = createIncidentTicketChannel({ outbox: rig.outbox, system: 'servicenow' });
    await rig.servicenow.openIncident({ correlationId: 'g-crash', summary: 'x', description: 'x', urgency: 1 }); // created, then the process died before recording it
    await channel.send(message('g-crash', 'opened', [incident('/s/eus', 'access_lost')], '2026-12-04T11:00:01.000Z'));
    await flush(rig);
    expect(rig.servicenow.incidents.size).toBe(1);
    expect((await rig.incidents.ticketOf('orders-sql|/s/eus|permission_revoked|#0'))?.correlationId).toBe('g-crash');
  });

  it('a resolved incident nobody has a ticket for opens none', async () => {
    const rig = itsmRig();
    const channel = createIncidentTicketChannel({ outbox: rig.outbox, system: 'servicenow' });
    await channel.send(message('g-late', 'resolved', [incident('/s/eus', 'resolved')], '2026-12-04T11:00:01.000Z'));
    await flush(rig);
    expect(rig.servicenow.incidents.size).toBe(0);
    expect((await rig.outbox.backlog()).pending).toBe(0);
  });
});
