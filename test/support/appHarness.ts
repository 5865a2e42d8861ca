// app/ wired to the in-memory fakes with a settable clock and a capturing notifier.
import type { AlertDeps } from '../../app/alerts.js';
import type { IngestDeps, IngestMessage } from '../../app/ingestion.js';
import type { Notifier } from '../../app/ports.js';
import { MemoryAlertLedger } from '../../app/fakes/memoryAlertLedger.js';
import { MemoryPoisonStore } from '../../app/fakes/memoryPoisonStore.js';
import { MemoryStateStore } from '../../app/fakes/memoryStateStore.js';
import { MemoryRateLimiter } from '../../app/fakes/memoryRateLimiter.js';
import { silentLogger } from '../../adapters/logging/logger.js';
import type { AlertMessage } from '../../domain/alerts/message.js';
import { fixedEstate } from '../../app/estateSource.js';
import type { Estate } from '../../domain/estate/model.js';

export class CapturingNotifier implements Notifier {
  readonly channel = 'capture';
  readonly sent: AlertMessage[] = [];
  failNext = 0;
  async send(message: AlertMessage): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('channel down');
    }
    this.sent.push(message);
  }
}

export function harness(estate: Estate, startIso: string, opts: { perMinute?: number } = {}) {
  let now = Date.parse(startIso);
  const clock = { now: () => now };
  const notifier = new CapturingNotifier();
  const ledger = new MemoryAlertLedger();
  const state = new MemoryStateStore();
  const poison = new MemoryPoisonStore();
  const alerts: AlertDeps = {
    ledger,
    notifiers: [notifier],
    recipients: ['secops@contoso.example'],
    clock,
    log: silentLogger,
    ...(opts.perMinute ? { limiter: new MemoryRateLimiter({ [notifier.channel]: { perMinute: opts.perMinute, perHour: 1000 } }) } : {}),
  };
  const deps: IngestDeps = { estates: fixedEstate(estate), state, poison, alerts, clock, log: silentLogger };
  return {
    deps,
    alerts,
    notifier,
    ledger,
    state,
    poison,
    setNow: (iso: string) => {
      now = Date.parse(iso);
    },
  };
}

let seq = 0;
export function message(body: unknown, partitionId = '0'): IngestMessage {
  seq++;
  return { body, partitionId, offset: String(seq * 1000), sequenceNumber: seq };
}
