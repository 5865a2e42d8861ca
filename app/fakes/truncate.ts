// The fakes bound text exactly as the Table adapters do, so the contract suites see the same values.

/** Cut to `max` UTF-16 units, never between the halves of a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
