// Every stored protector state in one paged scan of the state store (about N / 1000 round trips), instead of one read
// per protector: what whole-estate queries (GET /api/protectors, the operator console's view) are built from.
import type { ProtectorSnapshot } from '../domain/health/snapshot.js';
import type { StateStore } from './ports.js';

/** Table Storage's largest page. */
const SCAN_PAGE = 1000;

export interface StateScan {
  readonly snapshots: ReadonlyMap<string, ProtectorSnapshot>;
  /** Protectors whose stored state could not be read (corrupt entities); null when the id itself was unreadable. */
  readonly unreadable: readonly (string | null)[];
}

export async function scanStates(state: StateStore): Promise<StateScan> {
  const snapshots = new Map<string, ProtectorSnapshot>();
  const unreadable: (string | null)[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await state.list({ after, limit: SCAN_PAGE });
    for (const e of page.entries) {
      if (e.ok) snapshots.set(e.protectorId, e.stored.snapshot);
      else unreadable.push(e.protectorId);
    }
    const last = page.entries[page.entries.length - 1];
    if (!page.more || !last) break;
    after = last.position;
  }
  return { snapshots, unreadable };
}
