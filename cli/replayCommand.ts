import { assertReadable, readRecordFiles } from '../adapters/files/recordFiles.js';
import { replay } from '../app/replay.js';
import type { ReplayReport } from '../domain/report.js';
import { loadEstateOrUsage, parseNowOption, printJson } from './common.js';
import { UsageError } from './usageError.js';

/** Rejection reasons printed to stderr before the rest are only counted (a bad export must not flood the terminal). */
const MAX_REJECT_LINES = 50;

export async function replayFiles(files: readonly string[], opts: { estate: string; now?: string | undefined }): Promise<ReplayReport> {
  const estate = await loadEstateOrUsage(opts.estate);
  const now = parseNowOption(opts.now);
  try {
    await assertReadable(files);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let rejectedLines = 0;
  const report = await replay(readRecordFiles(files), {
    estate,
    ...(now !== undefined ? { now } : {}),
    onRejected: (where, reason) => {
      rejectedLines++;
      if (rejectedLines <= MAX_REJECT_LINES) process.stderr.write(`rejected ${where}: ${reason}\n`);
    },
  });
  if (rejectedLines > MAX_REJECT_LINES) process.stderr.write(`rejected: ${rejectedLines - MAX_REJECT_LINES} more not shown\n`);
  return report;
}

export async function runReplay(files: readonly string[], opts: { estate: string; now?: string }): Promise<void> {
  printJson(await replayFiles(files, opts));
}
