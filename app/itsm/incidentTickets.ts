// Incidents open tickets (estate `notifications.itsm`): the alert policy's transitions, grouped by root cause as the
// alerts are, become ITSM work. The channel only writes the durable outbox (fast, idempotent per alert group), so an
// ITSM outage never holds up the email; the outbox dispatcher then opens one ticket per group, adds later
// transitions of the same incidents as notes, and resolves the ticket once every incident it was opened for resolved.
//
// No second ticket for one incident, whoever sends what how often: a ticket carries the opening group's key as its
// correlation id, so a redelivery finds the ticket it opened (even one opened just before a crash), and each incident
// episode is mapped to its ticket in the index before anything else is written about it.
import { episodeKey } from '../../domain/alerts/policy.js';
import type { AlertMessage } from '../../domain/alerts/message.js';
import type { ItsmSystem } from '../../domain/itsm/request.js';
import type { Notifier } from '../ports.js';
import type { IncidentTicketIndex, IncidentTicketRecord, IncidentWork, ItsmOutbox, TicketSystem } from './ports.js';

function urgencyOf(message: AlertMessage): 1 | 2 | 3 {
  if (message.kind === 'resolved') return 3;
  return message.incidents.some((i) => i.stage !== 'at_risk' && i.stage !== 'resolved') ? 1 : 2;
}

/** The alert channel `itsm`: each message (one alert group) becomes one outbox entry. */
export function createIncidentTicketChannel(input: { readonly outbox: ItsmOutbox; readonly system: ItsmSystem }): Notifier {
  return {
    channel: 'itsm',
    async send(message: AlertMessage): Promise<void> {
      const incident: IncidentWork = {
        system: input.system,
        groupKey: message.key,
        alertKind: message.kind,
        episodes: [...new Set(message.incidents.map(episodeKey))].sort(),
        summary: message.subject,
        text: message.text,
        urgency: urgencyOf(message),
      };
      await input.outbox.put({ id: `inc-${message.key}`, kind: 'incident', createdAt: message.createdAt, incident });
    },
  };
}

/**
 * Carries one incident transition to the ITSM system. `done` records the steps already carried out (and is updated as
 * each completes), so a retry after a partial failure repeats none of them.
 */
export async function carryIncident(deps: { readonly tickets: TicketSystem; readonly index: IncidentTicketIndex }, work: IncidentWork, done: Set<string>): Promise<void> {
  const records = new Map<string, IncidentTicketRecord>();
  const untracked: string[] = [];
  for (const episode of work.episodes) {
    const record = await deps.index.ticketOf(episode);
    if (record) records.set(record.correlationId, record);
    else untracked.push(episode);
  }
  // Incidents nobody has a ticket for yet get one — unless they are already resolved (nothing left to track).
  if (untracked.length > 0 && work.alertKind !== 'resolved') {
    const ticket = (await deps.tickets.findIncident(work.groupKey)) ?? (await deps.tickets.openIncident({ correlationId: work.groupKey, summary: work.summary, description: work.text, urgency: work.urgency }));
    await deps.index.track({ correlationId: work.groupKey, ticket, episodes: untracked, resolved: [] });
    done.add(`opened:${work.groupKey}`);
  }
  for (const record of records.values()) {
    if (record.correlationId === work.groupKey && done.has(`opened:${work.groupKey}`)) continue; // its description says it already
    const noted = `noted:${record.correlationId}`;
    if (!done.has(noted)) {
      await deps.tickets.addNote(record.ticket, work.text);
      done.add(noted);
    }
    if (work.alertKind !== 'resolved') continue;
    const resolved = [...new Set([...record.resolved, ...work.episodes.filter((e) => record.episodes.includes(e))])].sort();
    await deps.index.track({ ...record, resolved });
    if (record.episodes.every((e) => resolved.includes(e)) && !done.has(`resolved:${record.correlationId}`)) {
      await deps.tickets.resolveIncident(record.ticket, `keysteward: every incident this ticket was opened for has resolved.\n\n${work.text}`);
      done.add(`resolved:${record.correlationId}`);
    }
  }
}
