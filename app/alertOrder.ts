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

/**
 * The pending work list, fair per channel: for each channel, the `limit` oldest alerts still pending on it (a channel
 * missing from an alert's delivery map — configured since it was claimed — counts as pending), merged oldest first.
 * Without this, during a storm the oldest `limit` alerts stuck on one broken channel (retried for up to an hour) would
 * fill every batch, and a working channel would never see the newer ones. Without `channels`: the `limit` oldest.
 */
export function pendingSelection<T extends { key: string; createdAt: string; channels?: Readonly<Record<string, { status: string }>> }>(
  pending: readonly T[],
  limit: number,
  channels?: readonly string[],
): T[] {
  const sorted = [...pending].sort(oldestFirst);
  if (limit <= 0) return [];
  if (channels === undefined || channels.length === 0) return sorted.slice(0, limit);
  const chosen = new Set<string>();
  for (const channel of channels) {
    let taken = 0;
    for (const a of sorted) {
      if (taken >= limit) break;
      if ((a.channels?.[channel]?.status ?? 'pending') !== 'pending') continue;
      chosen.add(a.key);
      taken++;
    }
  }
  return sorted.filter((a) => chosen.has(a.key));
}
