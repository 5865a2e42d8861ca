// What health shows of alerting (GET /api/health `alerts`): how many alerts have not reached every channel, how old
// the oldest is, and per channel what is undelivered, being retried or given up. Degraded — shown, never a reason to
// fail the probe — when no channel is configured (alerts are recorded but go nowhere) or a channel is failing.
import { span } from '../domain/alerts/render.js';
import { toIso } from '../domain/time.js';
import type { AlertHead, AlertLedger, Clock, Notifier } from './ports.js';

export interface AlertHealth {
  readonly status: 'up' | 'degraded';
  readonly detail: string;
  /** The same figures as numbers, for monitors: undelivered, oldestAgeSeconds, failed, and `<channel>.<figure>`. */
  readonly metrics: Readonly<Record<string, number>>;
}

/** Alerts given up are counted for this long after they were raised. */
export const FAILED_WINDOW_MS = 24 * 3_600_000;

interface ChannelFigures {
  undelivered: number;
  retrying: number;
  failed: number;
  lastError: string | null;
}

/** Pure: the figures from the ledger's heads. */
export function summariseAlerts(heads: readonly AlertHead[], channels: readonly string[], now: number): AlertHealth {
  const pending = heads.filter((h) => h.status === 'pending');
  const failed = heads.filter((h) => h.status === 'failed');
  const oldest = pending[0]?.createdAt ?? null;
  const metrics: Record<string, number> = { undelivered: pending.length, failed: failed.length };
  const age = oldest === null ? '' : `, oldest ${oldest} (${span(now - Date.parse(oldest))} old)`;
  if (oldest !== null) metrics['oldestAgeSeconds'] = Math.max(0, Math.round((now - Date.parse(oldest)) / 1000));
  if (channels.length === 0) {
    return { status: 'degraded', detail: `no channel configured: ${pending.length} alert(s) undelivered${age}`, metrics };
  }
  const figures = new Map<string, ChannelFigures>(channels.map((c) => [c, { undelivered: 0, retrying: 0, failed: 0, lastError: null }]));
  for (const [channel, f] of figures) {
    for (const h of heads) {
      const d = h.channels[channel];
      if (h.status === 'pending' && d?.status !== 'sent') {
        f.undelivered++;
        if (d !== undefined && d.attempts > 0 && d.status === 'pending') f.retrying++;
      }
      if (d?.status === 'failed') f.failed++;
      if (d?.lastError !== undefined && d.status !== 'sent') f.lastError = d.lastError;
    }
    metrics[`${channel}.undelivered`] = f.undelivered;
    metrics[`${channel}.retrying`] = f.retrying;
    metrics[`${channel}.failed`] = f.failed;
  }
  const failing = [...figures.values()].some((f) => f.retrying > 0 || f.failed > 0);
  const parts = [...figures].map(([c, f]) => {
    const extra = [f.retrying > 0 ? `${f.retrying} retrying` : '', f.failed > 0 ? `${f.failed} given up in ${FAILED_WINDOW_MS / 3_600_000} h` : ''].filter(Boolean).join(', ');
    return `${c}: ${f.undelivered} undelivered${extra ? ` (${extra}${f.lastError ? `; last error: ${f.lastError}` : ''})` : ''}`;
  });
  return { status: failing ? 'degraded' : 'up', detail: `${parts.join('; ')}${age}`, metrics };
}

export async function alertHealth(deps: { readonly ledger: AlertLedger; readonly notifiers: readonly Notifier[]; readonly clock: Clock }): Promise<AlertHealth> {
  const now = deps.clock.now();
  const heads = await deps.ledger.undelivered(toIso(now - FAILED_WINDOW_MS));
  return summariseAlerts(
    heads,
    deps.notifiers.map((n) => n.channel),
    now,
  );
}
