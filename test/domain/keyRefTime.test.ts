import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKeyUri, parseServerKeyName, vaultNameFrom } from '../../domain/keyRef.js';
import { parseDuration, parseInstant } from '../../domain/time.js';

describe('parseKeyUri', () => {
  it.each([
    ['https://kv-cmk-prod-eus.vault.azure.net/keys/sql-tde-protector/0a9b8c7d6e5f40312233445566778899', { vault: 'kv-cmk-prod-eus', key: 'sql-tde-protector', version: '0a9b8c7d6e5f40312233445566778899' }],
    ['https://KV-CMK-PROD-EUS.vault.azure.net/keys/SQL-TDE-Protector/0A9B8C7D6E5F40312233445566778899/unwrapkey?api-version=7.4', { vault: 'kv-cmk-prod-eus', key: 'sql-tde-protector', version: '0a9b8c7d6e5f40312233445566778899' }],
    ['https://kv-cmk-prod-wus.vault.azure.net/keys/sql-tde-protector/?api-version=7.4', { vault: 'kv-cmk-prod-wus', key: 'sql-tde-protector', version: null }],
    ['https://kv-cmk-prod-wus.vault.azure.net/keys/sql-tde-protector', { vault: 'kv-cmk-prod-wus', key: 'sql-tde-protector', version: null }],
    ['https://kv-cmk-prod-eus.vault.azure.net/keys/sql-tde-protector/rotate?api-version=2025-07-01', { vault: 'kv-cmk-prod-eus', key: 'sql-tde-protector', version: null }],
    ['https://kv-x.vault.azure.net/deletedkeys/k1', { vault: 'kv-x', key: 'k1', version: null }],
    ['https://hsm-x.managedhsm.azure.net/keys/k1/0a9b8c7d6e5f40312233445566778899', { vault: 'hsm-x', key: 'k1', version: '0a9b8c7d6e5f40312233445566778899' }],
    ['https://kv-x.vault.azure.cn:443/keys/k1/0a9b8c7d6e5f40312233445566778899', { vault: 'kv-x', key: 'k1', version: '0a9b8c7d6e5f40312233445566778899' }],
  ])('%s', (uri, expected) => {
    expect(parseKeyUri(uri)).toEqual(expected);
  });
  it.each(['https://kv-x.vault.azure.net/', 'https://kv-x.vault.azure.net/secrets/s1/abc', 'not a uri', '', 'https://kv-x.vault.azure.net/keys/'])('%j is not a key URI', (uri) => {
    expect(parseKeyUri(uri)).toBeNull();
  });
  it('never throws', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      parseKeyUri(s);
    }));
  });
});

describe('vault and server key names', () => {
  it('reads a vault name from a vault URI or an ARM id', () => {
    expect(vaultNameFrom('https://kv-cmk-prod-eus.vault.azure.net/')).toBe('kv-cmk-prod-eus');
    expect(vaultNameFrom('/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-CMK-PROD-EUS')).toBe('kv-cmk-prod-eus');
  });
  it('reads {vault}_{key}_{version} server key names', () => {
    expect(parseServerKeyName('kv-cmk-prod-eus_sql-tde-protector_0a9b8c7d6e5f40312233445566778899')).toEqual({ vault: 'kv-cmk-prod-eus', key: 'sql-tde-protector', version: '0a9b8c7d6e5f40312233445566778899' });
    expect(parseServerKeyName('ServiceManaged')).toBeNull();
  });
});

describe('parseInstant', () => {
  it.each([
    ['2026-03-02T14:05:11.4821937Z', Date.UTC(2026, 2, 2, 14, 5, 11, 482)],
    ['2026-03-02T14:05:11Z', Date.UTC(2026, 2, 2, 14, 5, 11)],
    ['2026-03-02T14:05:11.5Z', Date.UTC(2026, 2, 2, 14, 5, 11, 500)],
    ['2026-03-02T15:05:11.123+01:00', Date.UTC(2026, 2, 2, 14, 5, 11, 123)],
    ['2026-03-02T14:05Z', Date.UTC(2026, 2, 2, 14, 5)],
  ])('%s', (text, ms) => {
    expect(parseInstant(text)).toBe(ms);
  });
  it.each(['2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-03-02T24:00:00Z', '2026-03-02T14:60:00Z', '2026-03-02T14:05:60Z', '2026-03-02 14:05:11Z', '2026-03-02T14:05:11', 'yesterday', ''])('%j is refused', (text) => {
    expect(parseInstant(text)).toBeNull();
  });
  it('agrees with Date.parse on every millisecond-precision UTC instant', () => {
    fc.assert(fc.property(fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
      expect(parseInstant(d.toISOString())).toBe(d.getTime());
    }));
  });
});

describe('parseDuration', () => {
  it.each([
    ['PT30M', 1_800_000],
    ['PT10M', 600_000],
    ['P180D', 180 * 86_400_000],
    ['PT8H', 8 * 3_600_000],
    ['P1W', 7 * 86_400_000],
    ['PT1H30M', 5_400_000],
    ['PT0.5S', 500],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['P1Y', 'P1M', 'P', 'PT', '30M', 'PT-5M', ''])('%j is refused (no calendar units, no junk)', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
