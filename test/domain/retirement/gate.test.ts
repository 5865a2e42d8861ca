// The retirement gate (DESIGN.md §4.5, I3, reliability.md K-1): table cases at a fixed now, and a property — it
// never allows a version any DEK or member still needs, and only ever allows what every rule allows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retirementBlockers, versionKey, type Blocker, type GateInput, type MemberCurrentVersion } from '../../../domain/retirement/gate.js';
import { DAY, parseInstant } from '../../../domain/time.js';

const NOW = parseInstant('2026-03-02T12:00:00Z') ?? 0;
const V1 = '0123456789abcdef0123456789abcdef';
const V2 = 'fedcba9876543210fedcba9876543210';
const VERSION = { vault: 'kv-cmk-prod-eus', key: 'sql-tde-protector', version: V1 };
const PRIMARY = '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-eus';
const SECONDARY = '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-wus';

const onV2: MemberCurrentVersion[] = [
  { member: PRIMARY, vault: 'kv-cmk-prod-eus', version: V2 },
  { member: SECONDARY, vault: 'kv-cmk-prod-wus', version: '11111111111111111111111111111111' },
];

function input(over: Partial<GateInput> = {}): GateInput {
  return {
    version: VERSION,
    now: NOW,
    memberCurrentVersions: onV2,
    dekCountsByVersion: new Map(),
    stoppedBeingCurrentAt: NOW - 40 * DAY,
    backupRetention: 35 * DAY,
    ...over,
  };
}

describe('retirementBlockers', () => {
  it.each<[string, Partial<GateInput>, Blocker[]]>([
    ['nothing needs it: may disable', {}, []],
    ['retention passed exactly now: may disable', { stoppedBeingCurrentAt: NOW - 35 * DAY }, []],
    ['a DEK count of zero is no DEK', { dekCountsByVersion: new Map([[versionKey(VERSION), 0]]) }, []],
    ['DEKs under other versions do not block', { dekCountsByVersion: new Map([[`kv-cmk-prod-eus/sql-tde-protector/${V2}`, 9]]) }, []],
    ['the primary still uses it', { memberCurrentVersions: [{ member: PRIMARY, vault: 'kv-cmk-prod-eus', version: V1 }] }, [{ code: 'in_use_by_member', member: PRIMARY }]],
    [
      'the same version id in another vault is another object',
      { memberCurrentVersions: [{ member: SECONDARY, vault: 'kv-cmk-prod-wus', version: V1 }] },
      [],
    ],
    ['one DEK is still wrapped under it (K-1)', { dekCountsByVersion: new Map([[versionKey(VERSION), 1]]) }, [{ code: 'deks_wrapped', count: 1 }]],
    ['a broken count blocks', { dekCountsByVersion: new Map([[versionKey(VERSION), Number.NaN]]) }, [{ code: 'deks_wrapped', count: Number.NaN }]],
    ['a backup is still in retention', { stoppedBeingCurrentAt: NOW - 10 * DAY }, [{ code: 'backup_retention', until: '2026-03-27T12:00:00.000Z' }]],
    ['a member whose current version is unknown', { memberCurrentVersions: [{ member: SECONDARY, vault: 'kv-cmk-prod-wus', version: null }] }, [{ code: 'current_version_unknown', member: SECONDARY }]],
    ['nobody uses it and nobody knows since when', { stoppedBeingCurrentAt: null }, [{ code: 'retention_start_unknown' }]],
    [
      'in use: retention has not started, so only the use is reported',
      { memberCurrentVersions: [{ member: PRIMARY, vault: 'KV-CMK-PROD-EUS', version: V1.toUpperCase() }], stoppedBeingCurrentAt: null },
      [{ code: 'in_use_by_member', member: PRIMARY }],
    ],
    [
      'everything at once, in a stable order',
      {
        memberCurrentVersions: [
          { member: PRIMARY, vault: 'kv-cmk-prod-eus', version: V1 },
          { member: SECONDARY, vault: 'kv-cmk-prod-wus', version: null },
        ],
        dekCountsByVersion: new Map([[versionKey(VERSION), 300]]),
      },
      [
        { code: 'in_use_by_member', member: PRIMARY },
        { code: 'current_version_unknown', member: SECONDARY },
        { code: 'deks_wrapped', count: 300 },
      ],
    ],
  ])('%s', (_name, over, expected) => {
    expect(retirementBlockers(input(over))).toEqual(expected);
  });
});

describe('retirementBlockers: property', () => {
  const hex = fc.constantFrom(V1, V2, '22222222222222222222222222222222');
  const member = fc.record({ member: fc.constantFrom(PRIMARY, SECONDARY, 'm3'), vault: fc.constantFrom('kv-cmk-prod-eus', 'kv-cmk-prod-wus'), version: fc.option(hex, { nil: null }) });
  const gateInput = fc.record({
    memberCurrentVersions: fc.array(member, { maxLength: 5 }),
    deksOnVersion: fc.nat({ max: 3 }),
    deksElsewhere: fc.nat({ max: 3 }),
    stoppedAgo: fc.option(fc.integer({ min: -10 * DAY, max: 100 * DAY }), { nil: null }),
    retention: fc.integer({ min: 0, max: 60 * DAY }),
  });

  it('never allows while a DEK is wrapped under it or a member uses it; allows exactly when every rule does', () => {
    fc.assert(
      fc.property(gateInput, (g) => {
        const blockers = retirementBlockers({
          version: VERSION,
          now: NOW,
          memberCurrentVersions: g.memberCurrentVersions,
          dekCountsByVersion: new Map([
            [versionKey(VERSION), g.deksOnVersion],
            [`kv-cmk-prod-eus/sql-tde-protector/${V2}`, g.deksElsewhere],
          ]),
          stoppedBeingCurrentAt: g.stoppedAgo === null ? null : NOW - g.stoppedAgo,
          backupRetention: g.retention,
        });
        const inUse = g.memberCurrentVersions.some((m) => m.vault === VERSION.vault && m.version === VERSION.version);
        const unknown = g.memberCurrentVersions.some((m) => m.version === null);
        const retentionOver = g.stoppedAgo !== null && g.stoppedAgo >= g.retention;
        if (inUse || g.deksOnVersion > 0) expect(blockers.length).toBeGreaterThan(0);
        expect(blockers.length === 0).toBe(!inUse && !unknown && g.deksOnVersion === 0 && retentionOver);
      }),
      { numRuns: 2000 },
    );
  });
});
