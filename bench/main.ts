// `npm run bench [-- --only <part>]`: prints progress to stderr and one JSON object on the last line of stdout
// (DESIGN.md §7). Parts not built yet are omitted.
import { benchAlertLatency } from './alertLatency.js';
import { benchDiscover } from './discover.js';
import { benchIngest } from './ingest.js';
import { benchTracing } from './tracing.js';
import { benchRewrap } from './rewrap.js';
import { benchRotation } from './rotation.js';
import { benchItsm } from './itsm.js';
import { benchScale, type ScaleBench } from './scale.js';
import { benchDashboard } from './dashboard.js';

/** `--name <value>` from the command line, as a positive integer. */
function intOption(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    process.stderr.write(`bench: --${name} needs a positive integer\n`);
    process.exit(2);
  }
  return value;
}

// Keys of the output are a contract (DESIGN.md §7): ingest.*, alertLatencyMs.*, rewrap.*, rotation.*, itsm.*, memory.*, sweep.*, discover.*.
// memory.* and sweep.* come from one scale run (10,000 protectors in Azurite and Redis), made once for both.
let scale: Promise<ScaleBench> | undefined;
const scaleRun = (): Promise<ScaleBench> => {
  const protectors = intOption('protectors');
  const incidents = intOption('incidents');
  scale ??= benchScale({ ...(protectors ? { protectors } : {}), ...(incidents ? { incidents } : {}) });
  return scale;
};

const parts: Record<string, () => Promise<unknown> | unknown> = {
  ingest: () => benchIngest(),
  // Ingestion through the use case with telemetry off and on, same run (`tracing.overhead` = 1 − on/off).
  tracing: () => benchTracing(),
  alertLatencyMs: () => benchAlertLatency(),
  rewrap: () => benchRewrap(),
  // `--groups N` (default 1000), `--vault-pairs N` (default 3), `--concurrency N` (worker steps at once), `--arm-async`
  // (ARM answers writes 202 + Azure-AsyncOperation, as Azure SQL does, instead of at once).
  rotation: () => {
    const groups = intOption('groups');
    const vaultPairs = intOption('vault-pairs');
    const concurrency = intOption('concurrency');
    return benchRotation({
      ...(groups ? { groups } : {}),
      ...(vaultPairs ? { vaultPairs } : {}),
      ...(concurrency ? { concurrency } : {}),
      ...(process.argv.includes('--arm-async') ? { armWriteMode: 'async' as const } : {}),
    });
  },
  // `--requests N` (default 2000) signed webhooks, `--concurrency N` at once (default 16).
  itsm: async () => {
    const b = await benchItsm(intOption('requests') ?? 2000, intOption('concurrency') ?? 16);
    // DESIGN.md §7 names itsm.p99Ms; the rest is detail.
    return { acceptedPerSec: b.acceptedPerSec, p99Ms: b.p99Ms, p50Ms: b.p50Ms, maxMs: b.maxMs, requests: b.requests, concurrency: b.concurrency, accepted: b.accepted, recorded: b.recorded, queued: b.queued };
  },
  // `--protectors N` (default 10000), `--incidents N` open incidents among them (default 500). `--only scale` runs both.
  memory: async () => (await scaleRun()).memory,
  sweep: async () => (await scaleRun()).sweep,
  // The generated estate (324 SQL servers, 55 Cosmos DB accounts, 40 vaults, 5 subscriptions) and twice it, with ARM's
  // own throttling; fails when what it discovers is not what the generator made.
  discover: () => benchDiscover(),
  // The console's first byte for the scale estate next to GET /api/protectors (`--protectors`, `--incidents`, `--samples`).
  dashboard: () => {
    const protectors = intOption('protectors');
    const incidents = intOption('incidents');
    const samples = intOption('samples');
    return benchDashboard({ ...(protectors ? { protectors } : {}), ...(incidents ? { incidents } : {}), ...(samples ? { samples } : {}) });
  },
};

const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const aliases: Record<string, string> = { alert: 'alertLatencyMs', alerts: 'alertLatencyMs' };
const groups: Record<string, readonly string[]> = { scale: ['memory', 'sweep'] };
const onlyPart = only === undefined ? undefined : (aliases[only] ?? only);
const selected = onlyPart === undefined ? undefined : (groups[onlyPart] ?? [onlyPart]);
if (onlyPart !== undefined && !(onlyPart in parts) && !(onlyPart in groups)) {
  process.stderr.write(`bench: unknown part "${only}"; parts: ${[...Object.keys(parts), ...Object.keys(groups)].join(', ')}\n`);
  process.exit(2);
}

const result: Record<string, unknown> = {};
for (const [name, run] of Object.entries(parts)) {
  if (selected !== undefined && !selected.includes(name)) continue;
  process.stderr.write(`bench: ${name}…\n`);
  result[name] = await run();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
