// `npm start` until the service host lands: replay the bundled demo estate and events and print the report.
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printJson } from './common.js';
import { replayFiles } from './replayCommand.js';

/** demo/ sits at the package root; this file runs from dist/cli/. */
const demoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'demo');

export async function runDemo(opts: { now?: string }): Promise<void> {
  const eventsDir = join(demoDir, 'events');
  const files = (await readdir(eventsDir)).filter((f) => f.endsWith('.json') || f.endsWith('.ndjson')).sort().map((f) => join(eventsDir, f));
  const report = await replayFiles(files, { estate: join(demoDir, 'estate.json'), now: opts.now });
  process.stderr.write(`keysteward demo: replayed ${files.length} files from ${eventsDir} against ${join(demoDir, 'estate.json')}\n`);
  printJson(report);
}
