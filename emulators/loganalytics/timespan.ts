// The query body's `timespan` (ISO 8601 interval, as @azure/monitor-query-logs sends it): `PT1H` (ending now),
// `start/end`, `start/duration` or `duration/end`. The window is start-inclusive and end-exclusive.
import { parseDuration } from '../../domain/time.js';

export interface Window {
  readonly from: number;
  readonly to: number;
}

const instant = (text: string): number | null => {
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  return Number.isFinite(ms) ? ms : null;
};

/** The window of a timespan, or null when it cannot be read. */
export function parseTimespan(text: string, now: number): Window | null {
  const parts = text.trim().split('/');
  if (parts.length === 1) {
    const d = parseDuration(parts[0] ?? '');
    return d === null ? null : { from: now - d, to: now };
  }
  if (parts.length !== 2) return null;
  const [a = '', b = ''] = parts;
  const startA = instant(a);
  const endB = instant(b);
  if (startA !== null && endB !== null) return { from: startA, to: endB };
  if (startA !== null) {
    const d = parseDuration(b);
    return d === null ? null : { from: startA, to: startA + d };
  }
  if (endB !== null) {
    const d = parseDuration(a);
    return d === null ? null : { from: endB - d, to: endB };
  }
  return null;
}
