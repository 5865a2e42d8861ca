// Rewrap requests as the API takes them: which store, which kids, which refusals — a fixed estate, table-driven.
import { describe, expect, it } from 'vitest';
import { buildRewrapRequest } from '../../../domain/rewrap/request.js';
import { estateFrom } from '../../support/estates.js';

const SUB = '/subscriptions/s/resourceGroups/rg/providers';
const V1 = '0123456789abcdef0123456789abcdef';
const V2 = 'FEDCBA9876543210FEDCBA9876543210';
const estate = estateFrom({
  vaults: [{ name: 'kv-eus' }, { name: 'kv-wus' }, { name: 'kv-ae' }],
  protectors: [
    {
      id: 'orders-sql',
      kind: 'sql-tde',
      keyName: 'orders-tde',
      members: [
        { role: 'primary', resourceId: `${SUB}/Microsoft.Sql/servers/eus`, vault: 'kv-eus' },
        { role: 'secondary', resourceId: `${SUB}/Microsoft.Sql/servers/wus`, vault: 'kv-wus' },
      ],
    },
    { id: 'cards-ae', kind: 'cosmos-always-encrypted', keyName: 'cards-cmk', members: [{ role: 'primary', resourceId: `${SUB}/Microsoft.DocumentDB/databaseAccounts/a`, vault: 'kv-ae' }], alwaysEncrypted: { endpoint: 'https://a.documents.azure.com:443/', databases: ['cards'] } },
    { id: 'bare-ae', kind: 'cosmos-always-encrypted', keyName: 'bare-cmk', members: [{ role: 'primary', resourceId: `${SUB}/Microsoft.DocumentDB/databaseAccounts/b`, vault: 'kv-ae' }] },
  ],
});
const vaultUrl = (v: string): string => `https://${v}.vault.azure.net/`;

describe('buildRewrapRequest', () => {
  it('a Cosmos AE protector rewraps its client encryption keys from every older version by default', () => {
    expect(buildRewrapRequest(estate, 'cards-ae', { toVersion: V2 }, vaultUrl)).toEqual({
      ok: true,
      request: { id: `rewrap-cards-ae-kv-ae-older-${V2.toLowerCase()}`, protector: 'cards-ae', store: 'cosmos-ceks', toKid: `https://kv-ae.vault.azure.net/keys/cards-cmk/${V2.toLowerCase()}`, fromKid: null },
    });
  });

  it('any other protector rewraps keysteward\'s DEK store, in the primary\'s vault unless told', () => {
    expect(buildRewrapRequest(estate, 'orders-sql', { toVersion: V2, fromVersion: V1 }, vaultUrl)).toMatchObject({ ok: true, request: { store: 'dek-store', fromKid: `https://kv-eus.vault.azure.net/keys/orders-tde/${V1}` } });
    expect(buildRewrapRequest(estate, 'orders-sql', { toVersion: V2, fromVersion: V1, vault: 'KV-WUS' }, vaultUrl)).toMatchObject({ ok: true, request: { id: `rewrap-orders-sql-kv-wus-${V1}-${V2.toLowerCase()}` } });
  });

  it.each([
    ['nope', { toVersion: V2 }, 'unknown-protector', /unknown protector/],
    ['cards-ae', { toVersion: 'latest' }, 'bad-request', /toVersion/],
    ['cards-ae', { toVersion: V2, fromVersion: 'v1' }, 'bad-request', /fromVersion/],
    ['cards-ae', { toVersion: V2, fromVersion: V2.toLowerCase() }, 'bad-request', /same/],
    ['orders-sql', { toVersion: V2 }, 'bad-request', /fromVersion is required/],
    ['orders-sql', { toVersion: V2, fromVersion: V1, vault: 'kv-ae' }, 'bad-request', /holds no member/],
    ['bare-ae', { toVersion: V2 }, 'bad-request', /alwaysEncrypted/],
  ] as const)('%s %j → %s', (protector, args, kind, error) => {
    const r = buildRewrapRequest(estate, protector, args, vaultUrl);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.kind).toBe(kind);
      expect(r.error).toMatch(error);
    }
  });

  it('ids never hold a colon and are never a plain integer (BullMQ job ids)', () => {
    const r = buildRewrapRequest(estate, 'cards-ae', { toVersion: V2 }, () => 'https://kv-ae.vault.localhost:8443/');
    expect(r.ok && r.request.id).not.toMatch(/:/);
    expect(r.ok && r.request.toKid).toBe(`https://kv-ae.vault.localhost:8443/keys/cards-cmk/${V2.toLowerCase()}`);
  });
});
