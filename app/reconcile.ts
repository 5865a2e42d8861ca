// Timer use case: fill gaps and refresh the inventory. Log Analytics holds the same audit and activity records
// as Event Hubs; re-ingesting the recent ones is harmless (event ids are identical, the fold is a set union) and
// recovers anything an outage lost. The protector keys' versions are re-read from Key Vault so that
// geo_key_material_missing is judged on live material.
import { createFoldState, protectorState } from '../domain/health/fold.js';
import { protectorVaults } from '../domain/estate/index.js';
import type { InventoryVersion } from '../domain/estate/model.js';
import { ingestMessages, type IngestDeps, type IngestSummary } from './ingestion.js';
import { persistDelta } from './persist.js';
import type { AuditLogReader, InventoryReader } from './ports.js';

export interface ReconcileDeps extends IngestDeps {
  readonly logs?: AuditLogReader;
  readonly inventory?: InventoryReader;
}

export interface ReconcileResult {
  readonly gapFill: IngestSummary | null;
  readonly inventoryRead: number;
  readonly inventoryFailed: number;
}

export async function reconcile(deps: ReconcileDeps, lookbackMs: number): Promise<ReconcileResult> {
  const now = deps.clock.now();
  let gapFill: IngestSummary | null = null;
  if (deps.logs) {
    const [audit, activity] = await Promise.all([deps.logs.recentAuditRecords(now - lookbackMs, now), deps.logs.recentActivityRecords(now - lookbackMs, now)]);
    gapFill = await ingestMessages(deps, [
      { body: { records: audit }, partitionId: 'reconcile-audit', offset: String(now), sequenceNumber: now },
      { body: { records: activity }, partitionId: 'reconcile-activity', offset: String(now), sequenceNumber: now },
    ]);
  }
  let inventoryRead = 0;
  let inventoryFailed = 0;
  if (deps.inventory) {
    const reader = deps.inventory;
    const { estate, index } = deps.estates.current();
    const blank = createFoldState(index);
    for (const protector of estate.protectors) {
      const live = new Map<string, readonly InventoryVersion[]>();
      for (const vault of protectorVaults(protector)) {
        try {
          live.set(vault, await reader.listVersions(vault, protector.keyName));
          inventoryRead++;
        } catch (err) {
          inventoryFailed++;
          deps.log.warn({ protector: protector.id, vault, error: err instanceof Error ? err.message : String(err) }, 'inventory read failed');
        }
      }
      if (live.size === 0) continue;
      const delta = protectorState(blank, protector);
      delta.liveInventory = live;
      await persistDelta(deps.state, delta, estate, deps.clock.now());
    }
  }
  return { gapFill, inventoryRead, inventoryFailed };
}
