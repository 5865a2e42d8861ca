// In-memory CampaignLedger for app/ tests: the Table adapter's semantics (both pass test/contracts/campaignLedger.test.ts)
// — records copied in and out, `open` (re)opens, `close` records an end, unknown ids are null.
import type { CampaignLedger, CampaignRecord } from './rewrapJobs.js';

export class MemoryCampaignLedger implements CampaignLedger {
  private readonly records = new Map<string, string>();

  async open(request: CampaignRecord['request'], nowIso: string): Promise<void> {
    this.records.set(request.id, JSON.stringify({ request, state: 'open', summary: null, error: null, updatedAt: nowIso } satisfies CampaignRecord));
  }

  async close(id: string, outcome: Pick<CampaignRecord, 'summary' | 'error'> & { state: 'completed' | 'failed' }, nowIso: string): Promise<void> {
    const current = await this.get(id);
    if (!current) return;
    this.records.set(id, JSON.stringify({ ...current, ...outcome, updatedAt: nowIso } satisfies CampaignRecord));
  }

  async get(id: string): Promise<CampaignRecord | null> {
    const json = this.records.get(id);
    return json ? (JSON.parse(json) as CampaignRecord) : null;
  }

  async listOpen(): Promise<CampaignRecord[]> {
    return [...this.records.values()].map((j) => JSON.parse(j) as CampaignRecord).filter((r) => r.state === 'open');
  }
}
