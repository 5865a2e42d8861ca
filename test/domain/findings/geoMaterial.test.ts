import { describe, expect, it } from 'vitest';
import { checkGeoKeyMaterial, inventoryKnown } from '../../../domain/findings/geoMaterial.js';
import type { InventoryEntry } from '../rotation/estateDocs.js';
import { contosoDoc, estateOf, EUS, healthyDoc, KEY, protectorOf, tp, version, WUS } from '../rotation/estateDocs.js';

const OLD = tp('old');
const CUR = tp('cur');
const NEW = tp('new');

function withInventory(inventory: Record<string, Record<string, InventoryEntry[]>>) {
  const estate = estateOf({ ...contosoDoc(), inventory });
  return { estate, protector: protectorOf(estate) };
}

describe('checkGeoKeyMaterial', () => {
  const cases: {
    name: string;
    eus: InventoryEntry[] | undefined;
    wus: InventoryEntry[] | undefined;
    expected: { vault: string; missing: string[]; disabled: string[]; heldBy: Record<string, string[]> }[];
  }[] = [
    { name: 'identical material, different version ids', eus: [version(1, OLD), version(6, CUR)], wus: [version(2, OLD), version(7, CUR)], expected: [] },
    {
      name: 'current version missing in the secondary',
      eus: [version(1, OLD), version(6, CUR)],
      wus: [version(2, OLD)],
      expected: [{ vault: WUS, missing: [CUR], disabled: [], heldBy: { [CUR]: [EUS] } }],
    },
    {
      name: 'previous version disabled in the secondary',
      eus: [version(1, OLD), version(6, CUR)],
      wus: [version(2, OLD, { enabled: false }), version(7, CUR)],
      expected: [{ vault: WUS, missing: [], disabled: [OLD], heldBy: { [OLD]: [EUS] } }],
    },
    {
      name: 'extra version only in the secondary counts as missing in the primary',
      eus: [version(6, CUR)],
      wus: [version(7, CUR), version(8, NEW)],
      expected: [{ vault: EUS, missing: [NEW], disabled: [], heldBy: { [NEW]: [WUS] } }],
    },
    {
      name: 'both sides lack something: one finding per vault, sorted by vault',
      eus: [version(1, OLD), version(6, CUR, { enabled: false })],
      wus: [version(7, CUR), version(8, NEW)],
      expected: [
        { vault: EUS, missing: [NEW], disabled: [CUR], heldBy: { [CUR]: [WUS], [NEW]: [WUS] } },
        { vault: WUS, missing: [OLD], disabled: [], heldBy: { [OLD]: [EUS] } },
      ],
    },
    { name: 'a version disabled everywhere is not needed', eus: [version(1, OLD, { enabled: false })], wus: [], expected: [] },
    {
      name: 'a vault with no inventory for the key holds nothing',
      eus: [version(6, CUR)],
      wus: undefined,
      expected: [{ vault: WUS, missing: [CUR], disabled: [], heldBy: { [CUR]: [EUS] } }],
    },
    { name: 'no inventory anywhere: nothing known, no finding', eus: undefined, wus: undefined, expected: [] },
  ];

  it.each(cases)('$name', ({ eus, wus, expected }) => {
    const inventory: Record<string, Record<string, InventoryEntry[]>> = {};
    if (eus) inventory[EUS] = { [KEY]: eus };
    if (wus) inventory[WUS] = { [KEY]: wus };
    const { estate, protector } = withInventory(inventory);
    expect(checkGeoKeyMaterial(estate, protector)).toEqual(
      expected.map(({ vault, ...detail }) => ({ code: 'geo_key_material_missing', protector: 'orders-sql', vault, detail })),
    );
  });

  it('single vault → [] even with disabled versions', () => {
    const doc = contosoDoc();
    const p = doc.protectors[0]!;
    const estate = estateOf({
      ...doc,
      protectors: [{ ...p, members: p.members.map((m) => ({ ...m, vault: EUS })) }],
      inventory: { [EUS]: { [KEY]: [version(1, OLD, { enabled: false }), version(6, CUR)] } },
    });
    expect(checkGeoKeyMaterial(estate, protectorOf(estate))).toEqual([]);
  });

  it('ignores other keys in the same vaults', () => {
    const { estate, protector } = withInventory({
      [EUS]: { [KEY]: [version(6, CUR)], other: [version(1, OLD)] },
      [WUS]: { [KEY]: [version(7, CUR)] },
    });
    expect(checkGeoKeyMaterial(estate, protector)).toEqual([]);
  });

  it('is deterministic: heldBy keys and vault lists come out sorted whatever the input order', () => {
    const { estate, protector } = withInventory({
      [WUS]: { [KEY]: [version(8, NEW), version(7, CUR)] },
      [EUS]: { [KEY]: [] },
    });
    const [finding] = checkGeoKeyMaterial(estate, protector);
    expect(JSON.stringify(finding?.detail)).toBe(JSON.stringify({ missing: [CUR, NEW].sort(), disabled: [], heldBy: Object.fromEntries([CUR, NEW].sort().map((t) => [t, [WUS]])) }));
  });
});

describe('inventoryKnown', () => {
  it('is false without inventory for the key and true when any member vault has it', () => {
    const none = estateOf(contosoDoc());
    expect(inventoryKnown(none, protectorOf(none))).toBe(false);
    const healthy = estateOf(healthyDoc());
    expect(inventoryKnown(healthy, protectorOf(healthy))).toBe(true);
    const { estate, protector } = withInventory({ [WUS]: { [KEY]: [] } });
    expect(inventoryKnown(estate, protector)).toBe(true);
  });
});
