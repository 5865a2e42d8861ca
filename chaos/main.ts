// `npm run chaos [-- --short] [-- --only <phase>,…]`: a bounded, loopback-only fault suite over the real local stack
// (rig.ts). It runs the phases in order — each breaks something while keysteward works and records what keysteward
// acknowledged — lets the stack finish what it accepted, reads the evidence, and prints ONE JSON line on stdout: the
// counts (every one must be 0), what each phase did and how long it took (printed, never asserted), and the detail
// behind any count that is not 0. Exit 1 when a count is not 0, 2 when the suite itself could not run.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TableAlertLedger } from '../adapters/tables/alertLedger.js';
import { indexEstate } from '../domain/estate/index.js';
import { normaliseRecord } from '../domain/normalise/index.js';
import { withTimeout } from '../app/timeout.js';
import { anyApi, createActions } from './actions.js';
import { sleep } from './api.js';
import { startCleanRun } from './cleanRun.js';
import { buildCorpus } from './corpus.js';
import { eventHubsDriver } from './eventHubs.js';
import * as evidence from './evidence.js';
import { History } from './history.js';
import * as checks from './invariants.js';
import type { Phase, PhaseContext, PhaseDetail } from './phases/phase.js';
import { azuriteRestart } from './phases/azuriteRestart.js';
import { hostile } from './phases/hostile.js';
import { hostKill } from './phases/hostKill.js';
import { keyVaultStorm } from './phases/keyVaultStorm.js';
import { redelivery } from './phases/redelivery.js';
import { redisFaults } from './phases/redisFaults.js';
import { twoHosts } from './phases/twoHosts.js';
import { workerKill } from './phases/workerKill.js';
import { startRig, type Rig } from './rig.js';
import { ROOT } from './processes.js';

const PHASES: readonly Phase[] = [workerKill, keyVaultStorm, hostKill, twoHosts, redisFaults, azuriteRestart, redelivery, hostile];

const short = process.argv.includes('--short');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? new Set((process.argv[onlyAt + 1] ?? '').split(',')) : null;
if (only && [...only].some((n) => !PHASES.some((p) => p.name === n))) {
  process.stderr.write(`chaos: unknown phase in --only; phases: ${PHASES.map((p) => p.name).join(', ')}\n`);
  process.exit(2);
}
const started = Date.now();
const log = (line: string): void => void process.stderr.write(`chaos ${((Date.now() - started) / 1000).toFixed(1)}s: ${line}\n`);

/** Every process's output, one file each, under .keysteward/chaos/ (for finding the cause of a count that is not 0). */
async function saveLogs(rig: Rig): Promise<string> {
  const dir = join(ROOT, '.keysteward', 'chaos', `${short ? 'short' : 'full'}-${new Date(started).toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(dir, { recursive: true });
  for (const p of rig.processes.processes()) await writeFile(join(dir, `${p.name}.log`), p.output());
  return relative(ROOT, dir);
}

/** Lets the stack finish what it acknowledged: every request ended, no alert left pending in the ledger. */
async function drain(rig: Rig, ctx: PhaseContext, timeoutMs: number): Promise<PhaseDetail> {
  const until = Date.now() + timeoutMs;
  let open = Infinity;
  while (Date.now() < until) {
    const outcomes = await withTimeout(evidence.requestOutcomes(anyApi(rig), ctx.actions, ctx.history), 30_000).then((r) => r.outcomes, () => null);
    // Ids the host knows nothing of will never end: they are counted as lost, not waited for.
    open = outcomes?.filter((o) => !o.terminal && o.state !== null).length ?? open;
    if (open === 0) break;
    await sleep(2_000);
  }
  const ledger = new TableAlertLedger({ connectionString: rig.parts.env['STORAGE_CONNECTION_STRING'] ?? '' });
  let pending = Infinity;
  while (Date.now() < until) {
    pending = await withTimeout(ledger.pending(500), 30_000).then((p) => p.length, () => pending);
    if (pending === 0) break;
    await sleep(2_000);
  }
  await sleep(6_000); // one more sweep of every host: a claim made meanwhile is sent
  return { requestsStillOpen: open, alertsStillPending: pending };
}

async function main(): Promise<number> {
  // Every process the suite starts registers an exit handler that kills it if the suite dies first.
  process.setMaxListeners(100);
  const rig = await startRig({ estatePath: fileURLToPath(new URL('../../chaos/estate.json', import.meta.url)), log });
  // Interrupted (Ctrl-C, a CI timeout): stop every process the suite started before going.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping everything the suite started`);
      setTimeout(() => process.exit(130), 15_000).unref();
      void rig.close().finally(() => process.exit(130));
    });
  }
  try {
    const corpus = await buildCorpus(rig.parts);
    const baseline = evidence.captureBaseline(rig);
    await Promise.all([rig.startHost('A'), rig.startWorker()]);
    log('host A and a worker up');
    const history = new History();
    const redisScans: checks.Scanned[] = [];
    const ctx: PhaseContext = {
      rig,
      history,
      corpus,
      actions: createActions(rig, history),
      eventHubs: eventHubsDriver(rig, history),
      short,
      log,
      snapshotRedis: async (label) => void redisScans.push(...(await evidence.redisTexts(rig.redis.url, label))),
    };

    const phases: PhaseDetail[] = [];
    let failedPhases = 0;
    for (const phase of PHASES) {
      if (only && !only.has(phase.name)) continue;
      log(`${phase.name}…`);
      const t0 = Date.now();
      try {
        const detail = await withTimeout(phase.run(ctx), phase.budgetMs(short));
        phases.push({ name: phase.name, ms: Date.now() - t0, ...detail });
      } catch (err) {
        failedPhases++;
        phases.push({ name: phase.name, ms: Date.now() - t0, error: err instanceof Error ? err.message : String(err) });
      }
      log(`${phase.name} done in ${Date.now() - t0} ms`);
      await ctx.snapshotRedis(`after ${phase.name}`).catch(() => undefined);
    }

    log('draining…');
    const t0 = Date.now();
    const drained = await drain(rig, ctx, short ? 90_000 : 180_000);
    phases.push({ name: 'drain', ms: Date.now() - t0, ...drained });

    log('reading the evidence…');
    const api = anyApi(rig);
    const requests = await evidence.requestOutcomes(api, ctx.actions, history);
    const created = evidence.createdVersions(rig);
    for (const v of created) if (v.tag) requests.runIds.add(v.tag);
    const stored = await evidence.storedState(rig);
    const index = indexEstate(rig.parts.estate);
    const records = history.acknowledgedRecords();
    const rawMessages = [...new Set(history.deliveries.flatMap((d) => d.rawMessages ?? []))];
    const retention = Math.max(...rig.parts.estate.protectors.map((p) => p.backupRetention), 35 * 86_400_000);
    const recipients = (rig.parts.estate.notifications as { email?: { to?: string[] } } | undefined)?.email?.to ?? [];

    // I5: a clean run of the same records, read back to back with the chaotic host.
    log('clean run…');
    const clean = await startCleanRun(rig, records.filter((r) => normaliseRecord(r).status === 'ok'));
    let views: Map<string, checks.ProtectorView>;
    let cleanViews: Map<string, checks.ProtectorView>;
    try {
      [views, cleanViews] = await Promise.all([evidence.protectorViews(api, rig.parts.estate.protectors.map((p) => p.id)), clean.read()]);
    } finally {
      await clean.close();
    }

    const texts: checks.Scanned[] = [
      ...rig.processes.processes().map((p) => ({ where: `output of ${p.name}`, text: p.output() })),
      ...redisScans,
      ...(await evidence.redisTexts(rig.redis.url, 'at the end')),
    ];
    const deks = await evidence.dekPlaintexts(rig);
    const secrets = evidence.knownSecrets(rig, baseline, deks.plaintexts);

    const results = {
      acknowledgedRequestsLost: checks.lostRequests(requests.outcomes),
      acknowledgedRequestsFailed: checks.failedRequests(requests.outcomes),
      duplicateKeyVersions: checks.duplicateVersions(created, requests.requestOfRun),
      orderViolations: checks.orderViolations(evidence.geoGroups(rig), evidence.initialThumbprints(rig, baseline), evidence.protectorWrites(rig), created),
      concurrentRuns: checks.concurrentRuns(await evidence.runSpans(ctx.actions, requests.runIds)),
      prematureRetirements: checks.prematureRetirements(evidence.retirements(rig), evidence.versionUses(rig, baseline), retention),
      eventsNeitherAppliedNorPoisoned: checks.unappliedRecords(index, records, rawMessages, stored),
      stateDifferencesFromCleanRun: checks.stateDifferences(views, cleanViews),
      alertsSentTwiceOrNever: checks.alertErrors(rig.parts.email.messages().map((m) => ({ to: m.to.map((t) => t.address), subject: m.subject, text: m.plainText ?? '' })), [...views.values()].flatMap((v) => v.incidents), recipients),
      secretsInLogsJobsOrRedis: checks.secretsFound(texts, secrets),
    };
    const hostileFailures = Number(phases.find((p) => p['name'] === 'hostile-input')?.['failures'] ?? 0);
    const counts: Record<string, number> = {
      ...Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.count])),
      hostileInputFailures: hostileFailures,
      phasesFailed: failedPhases,
    };
    const i4 = results.eventsNeitherAppliedNorPoisoned;
    const ok = Object.values(counts).every((n) => n === 0);
    const logs = await saveLogs(rig);
    log(`every process's output is in ${logs}`);
    const line = {
      suite: 'chaos',
      mode: short ? 'short' : 'full',
      ok,
      counts,
      phases,
      evidence: {
        recordsAcknowledged: records.length,
        recordsApplied: i4.applied,
        recordsPoisoned: i4.poisoned,
        recordsIrrelevant: i4.irrelevant,
        deliveriesNeverAcknowledged: history.unacknowledged,
        requestsAcknowledged: requests.outcomes.length,
        keyVersionsCreated: created.length,
        emails: rig.parts.email.messages().length,
        poisonRows: stored.poisonBodies.length,
        cleanRun: { fed: clean.fed, refused: clean.refused },
        scanned: { texts: texts.length, secrets: secrets.length, clientEncryptionKeysUnreadable: deks.unreadable },
        retireAttempts: history.retires.map((r) => `${r.phase} ${r.protector} ${r.vault}/${r.version.slice(0, 8)}…: ${r.status}`),
      },
      logs,
      details: Object.fromEntries(Object.entries(results).filter(([, v]) => v.count > 0).map(([k, v]) => [k, v.details])),
      ms: Date.now() - started,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return ok ? 0 : 1;
  } finally {
    log('stopping…');
    await rig.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: the suite could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
