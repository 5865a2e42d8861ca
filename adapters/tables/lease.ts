// Leasing a pending row (the alert ledger's alerts, the ITSM outbox's write-backs): read its status and lease, then
// write the lease conditional on the ETag just read, so of two dispatchers racing for one row exactly one wins; an
// expired lease (its holder died) can be taken again, and the holder may renew its own.
import type { TableClient } from '@azure/data-tables';
import { statusOf } from './errors.js';

export async function leasePendingRow(client: TableClient, partitionKey: string, rowKey: string, owner: string, nowMs: number, untilMs: number): Promise<boolean> {
  let current: Record<string, unknown> & { etag: string };
  try {
    current = await client.getEntity<Record<string, unknown>>(partitionKey, rowKey, { queryOptions: { select: ['status', 'leaseOwner', 'leaseUntil'] } });
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw err;
  }
  // A number (Int32 or Double as the service typed it) or, in older rows, its text.
  const until = Number(current['leaseUntil'] ?? 0) || 0;
  if (current['status'] !== 'pending' || (until > nowMs && current['leaseOwner'] !== owner)) return false;
  try {
    await client.updateEntity({ partitionKey, rowKey, leaseOwner: owner, leaseUntil: untilMs }, 'Merge', { etag: current.etag });
    return true;
  } catch (err) {
    if (statusOf(err) === 412 || statusOf(err) === 404) return false;
    throw err;
  }
}
