// In-memory TicketSystem for app/ tests: changes as TicketFacts, notes per ticket, incidents by correlation id, and an
// outage switch. The ServiceNow and Jira adapters pass the same contract suite against their emulators
// (test/contracts/ticketSystem*), so what app/ tests learn from this fake holds for them.
import type { TicketFacts } from '../../../domain/itsm/approval.js';
import type { ItsmSystem, TicketRef } from '../../../domain/itsm/request.js';
import { ItsmUnavailableError, type IncidentTicketInput, type TicketSystem } from '../ports.js';

export interface MemoryIncident {
  readonly ref: TicketRef;
  readonly input: IncidentTicketInput;
  resolved: boolean;
  readonly notes: string[];
}

/** A stable name per record: ServiceNow changes are found by number or sys_id. */
function names(ref: TicketRef): string[] {
  if (ref.system === 'jira') return [`jira:${ref.key.toUpperCase()}`];
  return [ref.number ? `sn:${ref.table}:${ref.number.toUpperCase()}` : null, ref.sysId ? `sn:${ref.table}:${ref.sysId.toLowerCase()}` : null].filter((x): x is string => x !== null);
}

export class MemoryTicketSystem implements TicketSystem {
  private readonly changes = new Map<string, TicketFacts>();
  private readonly noteLog = new Map<string, string[]>();
  readonly incidents = new Map<string, MemoryIncident>();
  /** While true every call fails as an unreachable ITSM service would. */
  down = false;
  calls = 0;
  private seq = 0;

  constructor(readonly system: ItsmSystem) {}

  /** Adds or replaces a change (its ref must carry every name it is asked by). */
  setChange(facts: TicketFacts): void {
    for (const n of names(facts.ref)) this.changes.set(n, facts);
  }

  notes(ref: TicketRef): string[] {
    return [...(this.noteLog.get(names(ref)[0] ?? '') ?? [])];
  }

  private gate(): void {
    this.calls++;
    if (this.down) throw new ItsmUnavailableError(this.system, `${this.system} unavailable (503)`);
  }

  async readChange(ref: TicketRef): Promise<TicketFacts | null> {
    this.gate();
    for (const n of names(ref)) {
      const facts = this.changes.get(n);
      if (facts) return structuredClone(facts);
    }
    return null;
  }

  async addNote(ref: TicketRef, text: string): Promise<void> {
    this.gate();
    const incident = [...this.incidents.values()].find((i) => names(i.ref)[0] === names(ref)[0]);
    if (incident) {
      incident.notes.push(text);
      return;
    }
    const change = names(ref).map((n) => this.changes.get(n)).find((c) => c !== undefined);
    if (!change) throw new Error(`no ticket ${names(ref).join('/')}`);
    const key = names(change.ref)[0] ?? '';
    this.noteLog.set(key, [...(this.noteLog.get(key) ?? []), text]);
  }

  async findIncident(correlationId: string): Promise<TicketRef | null> {
    this.gate();
    return this.incidents.get(correlationId)?.ref ?? null;
  }

  async openIncident(input: IncidentTicketInput): Promise<TicketRef> {
    this.gate();
    const n = ++this.seq;
    const ref: TicketRef = this.system === 'jira' ? { system: 'jira', key: `OPS-${n}` } : { system: 'servicenow', table: 'incident', number: `INC${String(10000 + n).padStart(7, '0')}`, sysId: n.toString(16).padStart(32, '0') };
    this.incidents.set(input.correlationId, { ref, input: structuredClone(input), resolved: false, notes: [] });
    return ref;
  }

  async resolveIncident(ref: TicketRef, note: string): Promise<void> {
    this.gate();
    const incident = [...this.incidents.values()].find((i) => names(i.ref)[0] === names(ref)[0]);
    if (!incident) throw new Error(`no incident ${names(ref).join('/')}`);
    if (incident.resolved) return;
    incident.resolved = true;
    incident.notes.push(note);
  }
}
