// `npm run bench [-- --only <part>]`: prints progress to stderr and one JSON object on the last line of stdout
// (DESIGN.md §7). Parts not built yet are omitted.
import { benchAlertLatency } from './alertLatency.js';
import { benchIngest } from './ingest.js';
import { benchRewrap } from './rewrap.js';

// Keys of the output are a contract (DESIGN.md §7): ingest.*, alertLatencyMs.*.
const parts: Record<string, () => Promise<unknown> | unknown> = {
  ingest: () => benchIngest(),
  alertLatencyMs: () => benchAlertLatency(),
  rewrap: () => benchRewrap(),
};

const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const aliases: Record<string, string> = { alert: 'alertLatencyMs', alerts: 'alertLatencyMs' };
const onlyPart = only === undefined ? undefined : (aliases[only] ?? only);
if (onlyPart !== undefined && !(onlyPart in parts)) {
  process.stderr.write(`bench: unknown part "${only}"; parts: ${Object.keys(parts).join(', ')}\n`);
  process.exit(2);
}

const result: Record<string, unknown> = {};
for (const [name, run] of Object.entries(parts)) {
  if (onlyPart !== undefined && name !== onlyPart) continue;
  process.stderr.write(`bench: ${name}…\n`);
  result[name] = await run();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
