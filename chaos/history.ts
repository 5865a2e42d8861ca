// The suite's client history (reliability.md P-4): what keysteward acknowledged — requests answered 2xx, deliveries
// acknowledged — recorded by the phases as they go, for the checks at the end to hold keysteward to.
export type RequestKind = 'rotation' | 'rewrap' | 'itsm';

export interface AckedRequest {
  readonly kind: RequestKind;
  /** The id the answer named: the run id, the rewrap campaign id, the ITSM request id. */
  readonly id: string;
  /**
   * What the sender meant as one request (its idempotency key): the webhook-id of an ITSM webhook, else the id itself.
   * Two acknowledged ids for one key are two requests where the sender made one (I1 counts their versions together).
   */
  readonly key: string;
  readonly phase: string;
  readonly protector: string;
}

export interface AckedDelivery {
  readonly phase: string;
  /** `eventgrid`: POST /api/events/eventgrid on a host process; `eventhubs`: the Event Hubs trigger's handler. */
  readonly via: 'eventgrid' | 'eventhubs';
  readonly records: readonly unknown[];
  /** Whole messages that are text, not JSON (Event Hubs): kept as a whole in the poison table. */
  readonly rawMessages?: readonly string[];
}

export interface RetireAttempt {
  readonly phase: string;
  readonly protector: string;
  readonly vault: string;
  readonly version: string;
  readonly status: number;
}

export class History {
  readonly requests: AckedRequest[] = [];
  readonly deliveries: AckedDelivery[] = [];
  readonly retires: RetireAttempt[] = [];
  /** Deliveries that were never acknowledged, however often re-sent (not held against I4; shown per phase). */
  unacknowledged = 0;

  request(r: AckedRequest): void {
    this.requests.push(r);
  }

  delivery(d: AckedDelivery): void {
    this.deliveries.push(d);
  }

  /** Every acknowledged record once (by its JSON), in the order first acknowledged. */
  acknowledgedRecords(): unknown[] {
    const seen = new Map<string, unknown>();
    for (const d of this.deliveries) for (const r of d.records) if (!seen.has(JSON.stringify(r))) seen.set(JSON.stringify(r), r);
    return [...seen.values()];
  }
}
