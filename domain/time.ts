// Time helpers for a pure domain: instants are epoch milliseconds passed in by the caller.

export type Millis = number;

const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * Parses the ISO-8601 durations the estate uses (`PT30M`, `PT10M`, `P180D`, `P1W`, `PT1H30M`).
 * Years and months are refused: their length depends on the calendar, and a rotation period or an
 * autoheal window must mean the same number of seconds everywhere.
 */
export function parseDuration(text: string): Millis | null {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return null;
  const [, w, d, h, min, s] = m;
  const ms =
    Number(w ?? 0) * 7 * 86_400_000 +
    Number(d ?? 0) * 86_400_000 +
    Number(h ?? 0) * 3_600_000 +
    Number(min ?? 0) * 60_000 +
    Math.round(Number(s ?? 0) * 1000);
  return ms;
}

// The shape Azure writes (`2026-03-02T14:05:11.4821937Z`): V8's Date.parse reads it directly (7 fractional digits
// included) and fast, but rolls 2026-02-30 over into March and accepts T24:00, so those fields are re-checked.
const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const ANY_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

const twoDigits = (text: string, at: number): number => (text.charCodeAt(at) - 48) * 10 + (text.charCodeAt(at + 1) - 48);

/** Parses an ISO-8601 instant (any fractional precision, offset required). Returns null when invalid. */
export function parseInstant(text: string): Millis | null {
  if (UTC_INSTANT.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isFinite(ms) || twoDigits(text, 11) > 23 || twoDigits(text, 14) > 59 || twoDigits(text, 17) > 59) return null;
    const day = twoDigits(text, 8);
    if (day > 28 && new Date(ms).getUTCDate() !== day) return null;
    return ms;
  }
  if (!ANY_INSTANT.test(text)) return null;
  // Date.parse handles at most millisecond precision reliably: trim extra fractional digits.
  const trimmed = text.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? ms : null;
}

export function toIso(ms: Millis): string {
  return new Date(ms).toISOString();
}

export const HOUR: Millis = 3_600_000;
export const DAY: Millis = 86_400_000;
