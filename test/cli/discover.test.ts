// `keysteward discover` as a user runs it, against a generated estate on the emulators: YAML (with source comments) or
// JSON on stdout or in --out; --merge keeps a hand-edited file's ids and fields while a failover between runs flips
// the roles; --dry-run prints the changes and writes nothing; a second merge changes nothing; bad arguments, settings
// and --merge files exit 2 with one line; a credential that yields no token exits 1 with one line.
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadEstateDocument, loadEstateFile } from '../../adapters/files/estateFile.js';
import { buildEstate } from '../../domain/estate/model.js';
import type { EstateInput } from '../../domain/estate/schema.js';
import type { DevCertificate } from '../../emulators/certs.js';
import { keystewardAsync } from '../support/cli.js';
import { startDiscoveryStack, type DiscoveryStack } from '../support/discoveryStack.js';
import { devCert } from '../emulators/armsql/support.js';
import { clients } from '../emulators/arm/support.js';

let cert: DevCertificate;
let stack: DiscoveryStack;
let dir: string;

beforeAll(async () => {
  cert = await devCert();
  // Every geo-group in a failover group, so one can be failed over between runs.
  stack = await startDiscoveryStack(cert, { seed: 7, subscriptions: 2, sqlServers: 12, failoverGroupShare: 1, standaloneServers: 1, serviceManagedServers: 1, managedInstances: 1, cosmosAccounts: 4, alwaysEncryptedShare: 0.5, vaults: 6, managedHsms: 1 }, { pageSize: 5, retryAfterSeconds: 0 });
  dir = await mkdtemp(join(tmpdir(), 'ks-discover-cli-'));
}, 60_000);

afterAll(async () => {
  await stack.close();
});

const discover = (args: readonly string[], env: NodeJS.ProcessEnv = stack.env) => keystewardAsync(['discover', ...args], { env });
const oneLine = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('keysteward:'));
const topology = (doc: EstateInput) => doc.protectors.map((p) => ({ id: p.id, members: p.members.map((m) => `${m.role} ${m.resourceId.toLowerCase()} ${m.vault} ${m.principalId ?? '-'}`) }));

describe('keysteward discover', () => {
  it('writes YAML with source comments to stdout (progress and summary on stderr), or JSON with --format json or an --out ending in .json', async () => {
    const yaml = await discover([]);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toMatch(/^# Estate discovered by keysteward discover from 2 subscriptions/);
    expect(yaml.stdout).toMatch(/^ {6}# Microsoft\.Sql\/servers\/\S+ encryptionProtector \(subscription [0-9a-f-]{36}\)$/m);
    expect(yaml.stderr).toMatch(/^discover summary$/m);
    await writeFile(join(dir, 'stdout.yaml'), yaml.stdout);
    const estate = await loadEstateFile(join(dir, 'stdout.yaml'));
    expect(estate.protectors.map((p) => p.id)).toEqual(stack.topology.expected.protectors.map((p) => p.id));

    const json = await discover(['--format', 'json']);
    expect(json.code).toBe(0);
    expect(buildEstate(JSON.parse(json.stdout)).ok).toBe(true);
    const out = join(dir, 'estate.json');
    expect((await discover(['--out', out])).stdout).toBe('');
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(JSON.parse(json.stdout));
  });

  it('--merge keeps hand-chosen ids and hand-edited fields while a failover flips the roles; --dry-run shows it and writes nothing; merging again changes nothing', async () => {
    const first = join(dir, 'first.yaml');
    expect((await discover(['--out', first])).code).toBe(0);
    const discovered = await loadEstateDocument(first);

    // The operator's edits: a chosen id, rotation and windows for one geo-group, notifications, and a protector of
    // their own that discovery does not know.
    const group = stack.topology.arm.failoverGroups?.[0];
    if (!group) throw new Error('the topology has no failover group');
    const target = discovered.protectors.find((p) => p.id === group.name.toLowerCase());
    if (!target) throw new Error(`no protector ${group.name}`);
    const hand: EstateInput = {
      ...discovered,
      protectors: [
        ...discovered.protectors.map((p) => (p === target ? { ...p, id: 'orders-hand', rotation: { every: 'P90D', strategy: 'import' as const }, autohealWindow: 'PT8H', inaccessibleAfter: 'PT5M' } : p)),
        { id: 'legacy', kind: 'sql-tde', keyName: 'old', members: [{ role: 'primary', resourceId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-legacy', vault: 'kv-legacy' }] },
      ],
      vaults: [...discovered.vaults, { name: 'kv-legacy' }],
      notifications: { email: { to: ['secops@contoso.example'] } },
    };
    const handFile = join(dir, 'hand.yaml');
    await writeFile(handFile, stringify(hand));
    const handBefore = await stat(handFile);

    // A failover: the group's first secondary becomes its primary.
    const [oldPrimary, newPrimary] = group.servers.map((s) => s.toLowerCase()) as [string, string];
    const [, , sub, , rg, , , , name] = newPrimary.split('/');
    await clients(stack.arm, cert).sql(sub as string).failoverGroups.beginFailoverAndWait(rg as string, name as string, group.name);

    const dry = await discover(['--merge', handFile, '--dry-run', '--out', join(dir, 'never.yaml')]);
    expect(dry.code).toBe(0);
    expect(dry.stdout.split('\n')).toEqual(expect.arrayContaining([`~ protector orders-hand members[${oldPrimary}].role: "primary" → "secondary"`, `~ protector orders-hand members[${newPrimary}].role: "secondary" → "primary"`]));
    expect(dry.stdout).not.toMatch(/protector legacy|notifications|rotation|autohealWindow/);
    await expect(stat(join(dir, 'never.yaml'))).rejects.toThrow(/ENOENT/);
    expect((await stat(handFile)).mtimeMs).toBe(handBefore.mtimeMs);

    const mergedFile = join(dir, 'merged.yaml');
    const merged = await discover(['--merge', handFile, '--out', mergedFile]);
    expect(merged.code).toBe(0);
    expect(merged.stderr).toMatch(/^ {2}merge +\d+ updated, 0 added, 1 kept that discovery did not find \(legacy\)$/m);
    const doc = await loadEstateDocument(mergedFile);
    const orders = doc.protectors.find((p) => p.id === 'orders-hand');
    expect(orders).toMatchObject({ rotation: { every: 'P90D', strategy: 'import' }, autohealWindow: 'PT8H', inaccessibleAfter: 'PT5M' });
    expect(orders?.members[0]).toMatchObject({ role: 'primary', resourceId: newPrimary });
    expect(doc.protectors.find((p) => p.id === 'legacy')).toEqual(hand.protectors.at(-1));
    expect(doc.notifications).toEqual(hand.notifications);
    expect(await readFile(mergedFile, 'utf8')).toMatch(/# id, autohealWindow, inaccessibleAfter, rotation kept from hand\.yaml\n {2}- id: orders-hand\n/);
    // Everything else is what discovery found.
    expect(topology({ ...doc, protectors: doc.protectors.filter((p) => p.id !== 'legacy' && p.id !== 'orders-hand') })).toEqual(topology({ ...discovered, protectors: discovered.protectors.filter((p) => p !== target) }));

    const again = await discover(['--merge', mergedFile, '--dry-run']);
    expect(again.stdout).toBe('no changes\n');
  });

  it('bad arguments, settings and --merge files: exit 2 with one line; nothing written', async () => {
    const invalid = join(dir, 'invalid.yaml');
    await writeFile(invalid, 'vaults: []\nprotectors:\n  - id: x\n    kind: sql-tde\n');
    const cases: Array<[readonly string[], NodeJS.ProcessEnv, RegExp]> = [
      [['--format', 'xml'], stack.env, /^keysteward: --format must be yaml or json \(got "xml"\)$/],
      [['--subscription', 'prod'], stack.env, /^keysteward: --subscription takes subscription ids \(GUIDs\); not one: prod$/],
      [['--concurrency', '0'], stack.env, /^keysteward: --concurrency must be an integer from 1 to 256/],
      [['--merge', join(dir, 'missing.yaml')], stack.env, /^keysteward: --merge: cannot read estate .*missing\.yaml: ENOENT$/],
      [['--merge', invalid], stack.env, /^keysteward: --merge: estate .*invalid\.yaml is invalid: protectors\[0\]\.keyName/],
      [[], { ...stack.env, KEYSTEWARD_MODE: 'cloud' }, /^keysteward: invalid configuration — KEYSTEWARD_MODE: /],
      [['--bogus'], stack.env, /^keysteward: unknown option '--bogus'/],
    ];
    for (const [args, env, line] of cases) {
      const r = await discover(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(oneLine(r.stderr), args.join(' ')).toEqual([expect.stringMatching(line)]);
      expect(r.stdout).toBe('');
    }
  });

  it('a subscription that does not exist is read as gaps (exit 0, a valid empty estate); no token for ARM exits 1 with one line', async () => {
    const unknown = '99999999-9999-4999-8999-999999999999';
    const r = await discover(['--subscription', unknown]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`# not read: /subscriptions/${unknown}/providers/microsoft.sql/servers — 404 SubscriptionNotFound`));
    await writeFile(join(dir, 'empty.yaml'), r.stdout);
    expect((await loadEstateFile(join(dir, 'empty.yaml'))).protectors).toEqual([]);

    // Azure mode with no credential anywhere (no environment, no az login, no managed identity).
    const noToken = await discover(['--subscription', unknown], { PATH: process.env['PATH'] ?? '', HOME: dir, ARM_ENDPOINT: stack.env['ARM_ENDPOINT'] ?? '' });
    expect(noToken.code).toBe(1);
    expect(oneLine(noToken.stderr)).toEqual([expect.stringMatching(/^keysteward: cannot get a token for Azure Resource Manager: .*az login/)]);
  });
});
