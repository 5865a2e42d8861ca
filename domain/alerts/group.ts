// Transitions with one root cause go out as one message (DESIGN.md §5): a role removed from many servers, a
// vault firewall closed on every protector in it. Pending alerts are grouped by what the reader acts on —
// kind, stage and cause — and each group is one message per recipient list.
import type { Incident } from '../report.js';
import type { AlertKind } from './message.js';

export interface PendingAlert {
  readonly key: string;
  readonly kind: AlertKind;
  readonly incident: Incident;
  readonly to: readonly string[];
}

export interface AlertGroup {
  readonly keys: readonly string[];
  readonly kind: AlertKind;
  readonly incidents: readonly Incident[];
  readonly to: readonly string[];
}

/** Groups in a deterministic order (by group key, then by the alert keys inside). */
export function groupAlerts(pending: readonly PendingAlert[], maxPerGroup = 50): AlertGroup[] {
  const groups = new Map<string, PendingAlert[]>();
  for (const p of pending) {
    const g = `${p.kind}|${p.incident.stage}|${p.incident.cause}|${[...p.to].sort().join(',')}`;
    const list = groups.get(g);
    if (list) list.push(p);
    else groups.set(g, [p]);
  }
  const out: AlertGroup[] = [];
  for (const g of [...groups.keys()].sort()) {
    const items = (groups.get(g) ?? []).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    // A very large group is split so that one message stays readable (and within mail size limits).
    for (let i = 0; i < items.length; i += maxPerGroup) {
      const chunk = items.slice(i, i + maxPerGroup);
      const first = chunk[0] as PendingAlert;
      out.push({ keys: chunk.map((c) => c.key), kind: first.kind, incidents: chunk.map((c) => c.incident), to: first.to });
    }
  }
  return out;
}
