// `keysteward discover` end to end: the real binary, in local mode, against the ARM emulator serving a generated estate
// (SQL geo-groups of 2–5 servers, failover groups and replication links, managed instances, Cosmos DB accounts with
// every kind of default identity and Always Encrypted keys, vaults and Managed HSMs over several subscriptions), with
// paged listings and 429s, and the Key Vault emulator holding the keys (discovery's identity may only read them). The
// estate file it writes must hold exactly the protectors, members, roles and principal ids the generator made; what
// it could not read must be exactly the keys behind a vault firewall; and every per-resource ARM read happens once.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../adapters/files/estateFile.js';
import type { ArmEmulator } from '../../emulators/arm/index.js';
import type { GeneratedTopology, TopologyOptions } from '../../emulators/arm/topology/index.js';
import type { DevCertificate } from '../../emulators/certs.js';
import { keystewardAsync, type CliResult } from '../support/cli.js';
import { startDiscoveryStack } from '../support/discoveryStack.js';
import { devCert } from '../emulators/armsql/support.js';

let cert: DevCertificate;
beforeAll(async () => {
  cert = await devCert();
});

interface Run {
  readonly cli: CliResult;
  readonly file: string;
  readonly topology: GeneratedTopology;
  readonly arm: ArmEmulator;
}

/** Serves the topology, runs `keysteward discover --out <file>` against it, and closes the emulators. */
async function discoverGenerated(o: TopologyOptions, pageSize: number, retryAfterSeconds?: number): Promise<Run> {
  // ARM's own token buckets (250 reads + 25/s per subscription) and a 429 on every ninth read (Retry-After 1 s unless
  // given: the small runs answer 0, so that many pages of 429s stay quick).
  const stack = await startDiscoveryStack(cert, o, { pageSize, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
  try {
    const file = join(await mkdtemp(join(tmpdir(), 'ks-discover-')), 'estate.yaml');
    const cli = await keystewardAsync(['discover', '--out', file], { env: stack.env, timeoutMs: 170_000 });
    return { cli, file, topology: stack.topology, arm: stack.arm };
  } finally {
    await stack.close();
  }
}

const row = (stderr: string, name: string): string => new RegExp(`^ {2}${name} +(.*)$`, 'm').exec(stderr)?.[1] ?? '';
const num = (s: string): number => Number(s.replace(/,/g, ''));

/** `onePage`: every per-resource listing fits one page (the full-size run), so its call count is exact. */
async function check(run: Run, onePage: boolean): Promise<void> {
  const { cli, topology: t, arm } = run;
  expect(cli.stderr.split('\n').filter((l) => l.startsWith('keysteward:'))).toEqual([]);
  expect(cli.code).toBe(0);

  // Exactly the generator's protectors, members, roles and principal ids, from a file the estate loader accepts.
  const estate = await loadEstateFile(run.file);
  const got = estate.protectors.map((p) => ({ id: p.id, kind: p.kind, keyName: p.keyName, members: p.members, alwaysEncrypted: p.alwaysEncrypted && { endpoint: p.alwaysEncrypted.endpoint, databases: p.alwaysEncrypted.databases } }));
  expect(got).toEqual(t.expected.protectors.map((p) => ({ id: p.id, kind: p.kind, keyName: p.keyName, members: p.members, alwaysEncrypted: p.alwaysEncrypted })));
  for (const v of t.expected.vaults) expect(estate.vaults.get(v.name), v.name).toMatchObject({ region: v.location, resourceId: v.id, uri: v.uri, properties: { purgeProtection: v.purgeProtection === true ? true : null } });

  // What it could not read: the protector keys behind a vault firewall (keysteward is not a trusted service).
  const firewalled = new Map(t.expected.vaults.filter((v) => v.networkAcls?.defaultAction === 'Deny').map((v) => [v.name, v.uri.replace(/\/+$/, '')]));
  const refused = [...new Set(t.expected.protectors.flatMap((p) => p.members.filter((m) => firewalled.has(m.vault)).map((m) => `${firewalled.get(m.vault)}/keys/${p.keyName}`)))];
  const gaps = [...(await readFile(run.file, 'utf8')).matchAll(/^# not read: (\S+) — (.*)$/gm)].map((m) => [m[1], m[2]]);
  expect(gaps.map(([scope]) => scope).sort()).toEqual(refused.flatMap((k) => [k, `${k}/rotationpolicy`]).sort());
  expect(gaps.every(([, reason]) => reason?.startsWith('403 Forbidden/ForbiddenByFirewall'))).toBe(true);

  // Findings the generator planted, and none about the topology.
  const findings = row(cli.stderr, 'findings');
  const dbCmk = /database_level_cmk (\d+)/.exec(findings)?.[1];
  expect(Number(dbCmk ?? 0)).toBe(t.expected.databaseLevelCmk.length);
  expect(findings).not.toMatch(/geo_/);

  // Each per-resource read once: the ARM call count is linear in the estate (pages aside, which the listings add).
  const calls = arm.calls();
  const ok = (op: string): number => (calls.byOperation[op] ?? 0) - (calls.throttledByOperation[op] ?? 0);
  // A per-resource listing: one call per resource, or a few pages each when small pages split it (at most 4 here).
  const listing = (op: string, resources: number): void => {
    if (onePage) expect(ok(op), op).toBe(resources);
    else {
      expect(ok(op), op).toBeGreaterThanOrEqual(resources);
      expect(ok(op), op).toBeLessThanOrEqual(4 * resources);
    }
  };
  const servers = t.arm.servers ?? [];
  const cmkServers = servers.filter((s) => s.protector !== undefined).length;
  const instances = (t.arm.managedInstances ?? []).length;
  const accounts = t.arm.cosmosAccounts ?? [];
  expect(ok('encryptionProtectors.get')).toBe(servers.length);
  listing('databases.listByServer', servers.length);
  listing('failoverGroups.listByServer', cmkServers);
  listing('replicationLinks.listByServer', cmkServers);
  expect(ok('managedInstanceEncryptionProtectors.get')).toBe(instances);
  listing('managedDatabases.listByInstance', instances);
  // Cosmos DB's listings do not page.
  expect(ok('sqlResources.listSqlDatabases')).toBe(accounts.length);
  expect(ok('sqlResources.listClientEncryptionKeys')).toBe(accounts.reduce((n, a) => n + (a.databases ?? []).length, 0));
  expect(calls.throttled).toBeGreaterThan(0);
  // The binary's own count of what it sent is the emulator's.
  const armRow = /^([\d,]+) \(([\d,]+) sent with retries, ([\d,]+) answered 429\)$/.exec(row(cli.stderr, 'ARM calls'));
  expect(armRow && [num(armRow[1] as string), num(armRow[2] as string), num(armRow[3] as string)]).toEqual([calls.total - calls.throttled, calls.total, calls.throttled]);
  expect(cli.stderr).toMatch(/^discover: \d+\/\d+ subscriptions? listed — \d+ SQL servers?, /m);
}

describe('keysteward discover against a generated estate', () => {
  it('random topologies (small): exactly the generated protectors, members, roles and principal ids', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          subscriptions: fc.integer({ min: 1, max: 4 }),
          failoverGroupShare: fc.double({ min: 0, max: 1, noNaN: true }),
          alwaysEncryptedShare: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        async (o) => check(await discoverGenerated({ ...o, sqlServers: 24, standaloneServers: 2, serviceManagedServers: 2, managedInstances: 1, cosmosAccounts: 6, vaults: 8, managedHsms: 1 }, 4, 0), false),
      ),
      { numRuns: 3 },
    );
  }, 170_000);

  it('full size — 300 SQL servers in geo-groups of 2–5, 50 Cosmos DB accounts, 40 vaults, 5 subscriptions — with paging and 429s', async () => {
    const run = await discoverGenerated({ seed: 20260302 }, 20);
    await check(run, true);
    expect(run.topology.arm.servers?.length).toBeGreaterThanOrEqual(300);
    // The figures the summary gives (resources/s, ARM calls) are for the report, not asserted: speed is the bench's.
    process.stdout.write(`discover full size:\n${run.cli.stderr.slice(run.cli.stderr.indexOf('discover summary'))}`);
  }, 180_000);
});
