// CampaignLedger contract (app/rewrap/rewrapJobs.ts, I6) against the memory fake and Table Storage on a real Azurite:
// an opened campaign is open until closed, its outcome is kept field for field, asking again reopens it, and only
// open campaigns are listed for the reconciler.
import { describe, expect, it } from 'vitest';
import { TableCampaignLedger } from '../../adapters/tables/rewrapCampaigns.js';
import { MemoryCampaignLedger } from '../../app/rewrap/memoryCampaignLedger.js';
import type { CekRewrapSummary } from '../../app/rewrap/cekCampaign.js';
import type { CampaignLedger } from '../../app/rewrap/rewrapJobs.js';
import type { RewrapRequest } from '../../domain/rewrap/request.js';
import { uniqueTableName, useAzurite } from '../support/azurite.js';

const azurite = useAzurite();

const request = (n: number): RewrapRequest => ({
  id: `rewrap-cards-ae-kv-ae-older-${String(n).padStart(32, '0')}`,
  protector: 'cards-ae',
  store: 'cosmos-ceks',
  toKid: `https://kv-ae.vault.azure.net/keys/cards-cmk/${String(n).padStart(32, '0')}`,
  fromKid: null,
});
const summary: CekRewrapSummary = {
  scanned: 3, behind: 2, rewrapped: 2, alreadyDone: 1, otherKeys: 0, versionless: 0, unparsed: 0, conflicts: 0, gone: 0, failures: 0, throttled: 0, unwraps: 2,
  toKid: request(1).toKid, fromKid: null, remaining: 0, complete: true, stopReason: null, elapsedMs: 12, failedIds: [],
};

function campaignLedgerContract(name: string, make: () => CampaignLedger): void {
  describe(`CampaignLedger contract: ${name}`, () => {
    it('knows nothing of a campaign never opened, and closing one is a no-op', async () => {
      const ledger = make();
      expect(await ledger.get(request(9).id)).toBeNull();
      await ledger.close(request(9).id, { state: 'completed', summary: null, error: null }, '2026-11-22T10:00:00.000Z');
      expect(await ledger.get(request(9).id)).toBeNull();
      expect(await ledger.listOpen()).toEqual([]);
    });

    it('an opened campaign is listed open until closed; its outcome is kept field for field', async () => {
      const ledger = make();
      await ledger.open(request(1), '2026-11-22T10:00:00.000Z');
      await ledger.open(request(2), '2026-11-22T10:00:01.000Z');
      expect((await ledger.listOpen()).map((r) => r.request.id).sort()).toEqual([request(1).id, request(2).id]);
      await ledger.close(request(1).id, { state: 'completed', summary, error: null }, '2026-11-22T10:05:00.000Z');
      await ledger.close(request(2).id, { state: 'failed', summary: null, error: 'campaign stopped: access_denied' }, '2026-11-22T10:05:01.000Z');
      expect(await ledger.listOpen()).toEqual([]);
      expect(await ledger.get(request(1).id)).toStrictEqual({ request: request(1), state: 'completed', summary, error: null, updatedAt: '2026-11-22T10:05:00.000Z' });
      expect((await ledger.get(request(2).id))?.state).toBe('failed');
    });

    it('asking again for an ended campaign opens it again', async () => {
      const ledger = make();
      await ledger.open(request(3), '2026-11-22T10:00:00.000Z');
      await ledger.close(request(3).id, { state: 'completed', summary, error: null }, '2026-11-22T10:01:00.000Z');
      await ledger.open(request(3), '2026-11-22T11:00:00.000Z');
      expect(await ledger.get(request(3).id)).toMatchObject({ state: 'open', summary: null, updatedAt: '2026-11-22T11:00:00.000Z' });
      expect((await ledger.listOpen()).map((r) => r.request.id)).toEqual([request(3).id]);
    });
  });
}

campaignLedgerContract('memory', () => new MemoryCampaignLedger());
campaignLedgerContract('table', () => new TableCampaignLedger(azurite().connection, { tableName: uniqueTableName('campaigns') }));
