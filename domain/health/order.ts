// Total order on events by (time, id): "latest" and "earliest" are then functions of the event set alone,
// never of arrival order (I5).
import type { KeyEvent } from '../events/keyEvent.js';

export function compareEvents(a: Pick<KeyEvent, 'time' | 'id'>, b: Pick<KeyEvent, 'time' | 'id'>): number {
  if (a.time !== b.time) return a.time - b.time;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function latest<T extends Pick<KeyEvent, 'time' | 'id'>>(items: Iterable<T>): T | null {
  let best: T | null = null;
  for (const item of items) if (best === null || compareEvents(item, best) > 0) best = item;
  return best;
}
