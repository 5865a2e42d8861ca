import { describe, expect, it } from 'vitest';
import { normaliseEventGridEvent } from '../../../domain/normalise/eventGrid.js';
import { EVENT_GRID, KEY_NEW, KID_NEW, only, readShared, V_NEW } from './records.js';

type Json = Record<string, unknown>;
const ms = (iso: string): number => Date.parse(iso);
const fixture = (): Json[] => readShared(EVENT_GRID) as Json[];
const at = (i: number): Json => fixture()[i]!;

describe('normaliseEventGridEvent: shared fixture', () => {
  it('KeyNewVersionCreated → key-version-created (NBF null, EXP epoch seconds)', () => {
    expect(normaliseEventGridEvent(at(0))).toEqual({
      status: 'ok',
      events: [
        {
          kind: 'key-version-created',
          id: 'eg|3b9f2a61-0c4d-4e8a-b7f5-92d1e6c3a4b0',
          source: 'event-grid',
          time: ms('2026-03-02T14:06:02.288Z'),
          operation: 'Microsoft.KeyVault.KeyNewVersionCreated',
          key: KEY_NEW,
          exp: 1804118400_000,
          nbf: null,
        },
      ],
    });
  });

  it('KeyNearExpiry → key-near-expiry', () => {
    expect(only(normaliseEventGridEvent(at(1)))).toEqual({
      kind: 'key-near-expiry',
      id: 'eg|c0d8e7f6-a5b4-4c3d-9e2f-1a0b9c8d7e6f',
      source: 'event-grid',
      time: ms('2027-02-01T00:00:11.000Z'),
      operation: 'Microsoft.KeyVault.KeyNearExpiry',
      key: KEY_NEW,
      exp: 1804118400_000,
    });
  });

  it('VaultAccessPolicyChanged → access-policy-changed with nothing known about the change', () => {
    expect(only(normaliseEventGridEvent(at(2)))).toEqual({
      kind: 'access-policy-changed',
      id: 'eg|e1f2a3b4-c5d6-4e7f-8091-a2b3c4d5e6f7',
      source: 'event-grid',
      time: ms('2026-03-05T16:20:34.100Z'),
      operation: 'Microsoft.KeyVault.VaultAccessPolicyChanged',
      vault: 'kv-cmk-prod-eus',
      phase: 'success',
      correlationId: '',
      change: 'unknown',
      entries: [],
    });
  });
});

describe('shapes', () => {
  it('KeyExpired → key-expired', () => {
    const ev = { ...at(1), id: 'x-1', eventType: 'Microsoft.KeyVault.KeyExpired' };
    expect(only(normaliseEventGridEvent(ev))).toMatchObject({ kind: 'key-expired', id: 'eg|x-1', key: KEY_NEW, exp: 1804118400_000 });
  });

  it('CloudEvents 1.0 with camelCase data', () => {
    const ev = {
      specversion: '1.0',
      id: 'ce-1',
      type: 'Microsoft.KeyVault.KeyNewVersionCreated',
      source: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-cmk-prod-eus',
      time: '2026-03-02T14:06:02.2881930Z',
      data: { id: KID_NEW, vaultName: 'kv-cmk-prod-eus', objectType: 'Key', objectName: 'sql-tde-protector', version: V_NEW, nbf: 1772460362, exp: null },
    };
    expect(only(normaliseEventGridEvent(ev))).toMatchObject({ kind: 'key-version-created', id: 'eg|ce-1', key: KEY_NEW, nbf: 1772460362_000, exp: null });
  });

  it('builds the key from VaultName/ObjectName/Version when Id is missing; numeric-string EXP as in the docs sample', () => {
    const ev = { ...at(0), data: { VaultName: 'KV-CMK-PROD-EUS', ObjectName: 'SQL-TDE-PROTECTOR', Version: ` ${V_NEW}`, EXP: '1804118400' } };
    expect(only(normaliseEventGridEvent(ev))).toMatchObject({ key: KEY_NEW, exp: 1804118400_000, nbf: null });
  });

  it('a versionless Id takes the version from Version', () => {
    const ev = { ...at(0), data: { Id: 'https://kv-cmk-prod-eus.vault.azure.net/keys/sql-tde-protector', Version: V_NEW } };
    expect(only(normaliseEventGridEvent(ev))).toMatchObject({ key: KEY_NEW });
  });

  it.each(['Microsoft.KeyVault.SecretNewVersionCreated', 'Microsoft.KeyVault.CertificateNearExpiry', 'Microsoft.KeyVault.SecretExpired', 'Microsoft.EventGrid.SubscriptionValidationEvent'])(
    '%s is ignored',
    (eventType) => {
      expect(normaliseEventGridEvent({ ...at(0), eventType }).status).toBe('ignored');
    },
  );

  it.each([
    ['null', null, 'not an object'],
    ['missing id', { ...at(0), id: undefined }, 'missing id'],
    ['missing time', { ...at(0), eventTime: undefined }, 'missing time'],
    ['bad time', { ...at(0), eventTime: 'soon' }, 'unparseable time'],
    ['missing type', { ...at(0), eventType: undefined }, 'missing eventType'],
    ['key event without data', { ...at(0), data: undefined }, 'key event without a key'],
    ['key event with a vault URI only', { ...at(0), data: { Id: 'https://kv-cmk-prod-eus.vault.azure.net/' } }, 'key event without a key'],
  ])('%s → rejected', (_name, raw, reason) => {
    expect(normaliseEventGridEvent(raw)).toEqual({ status: 'rejected', reason });
  });
});
