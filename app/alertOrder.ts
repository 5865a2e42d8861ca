/**
 * The order `AlertLedger.pending()` returns: parseable createdAt by instant, then unparseable ones by text, ties by
 * key — a total order, so the Table adapter and the in-memory fake list the same records the same way.
 */
export function oldestFirst(a: { key: string; createdAt: string }, b: { key: string; createdAt: string }): number {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  const ra = Number.isNaN(ta) ? 1 : 0;
  const rb = Number.isNaN(tb) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  if (ra === 0 && ta !== tb) return ta - tb;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
