// Builders for ITSM domain and app tests: a request as accepted, and ticket facts as an ITSM system reports them.
import type { TicketFacts } from '../../../domain/itsm/approval.js';
import { newRequest, type ItsmRequest, type NewRequestInput } from '../../../domain/itsm/request.js';

export const NOW = Date.parse('2026-12-04T12:00:00Z');
export const SYS_ID = '9d385017c611228701d22104cc95c371';

export function request(over: Partial<NewRequestInput> = {}): ItsmRequest {
  return newRequest({
    id: 'itsm-standard-0123456789abcdef01234567',
    profile: 'standard',
    idempotencyKey: 'snow-CHG0030001-rotate',
    bodySha256: 'a'.repeat(64),
    assurance: 'signed',
    action: 'rotate',
    requestedProtector: 'orders-sql',
    ticket: { system: 'servicenow', table: 'change_request', number: 'CHG0030001', sysId: SYS_ID },
    requester: 'jdoe',
    nowIso: new Date(NOW - 60_000).toISOString(),
    ...over,
  });
}

export function facts(over: Partial<TicketFacts> = {}): TicketFacts {
  return {
    ref: { system: 'servicenow', table: 'change_request', number: 'CHG0030001', sysId: SYS_ID },
    approval: 'approved',
    implementable: true,
    closed: false,
    stateLabel: 'Implement',
    windowStart: NOW - 3_600_000,
    windowEnd: NOW + 3_600_000,
    protectors: ['orders-sql'],
    ...over,
  };
}
