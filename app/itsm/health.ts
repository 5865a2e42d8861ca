// What health shows of an ITSM system (reliability.md W-13: an outage must be visible): the outcome of keysteward's
// most recent call to it, from this process. The outbox backlog (durable, every instance) completes the picture.
import type { TicketSystem } from './ports.js';

export interface TicketSystemHealth {
  readonly lastOkAt: number | null;
  readonly lastErrorAt: number | null;
  readonly lastError: string | null;
}

/** `inner` with every call's outcome recorded. */
export function observedTicketSystem(inner: TicketSystem, clock: () => number): { readonly tickets: TicketSystem; health(): TicketSystemHealth } {
  let state: TicketSystemHealth = { lastOkAt: null, lastErrorAt: null, lastError: null };
  const watch =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        const r = await fn(...args);
        state = { ...state, lastOkAt: clock() };
        return r;
      } catch (err) {
        state = { ...state, lastErrorAt: clock(), lastError: err instanceof Error ? err.message : String(err) };
        throw err;
      }
    };
  return {
    tickets: {
      system: inner.system,
      readChange: watch(inner.readChange.bind(inner)),
      addNote: watch(inner.addNote.bind(inner)),
      findIncident: watch(inner.findIncident.bind(inner)),
      openIncident: watch(inner.openIncident.bind(inner)),
      resolveIncident: watch(inner.resolveIncident.bind(inner)),
    },
    health: () => state,
  };
}
