// `keysteward rotate --protector <id> [--dry-run]`: asks the running host (KEYSTEWARD_URL, default
// http://127.0.0.1:7071) to start a rotation and follows it with a progress bar until it ends. --dry-run prints
// the plan the host would run, judged on live key versions and the protector's current state.
import { hostBase, hostRequest, sleep } from './hostApi.js';
import { UsageError } from './usageError.js';

interface RunView {
  id: string;
  status: string;
  steps: Array<{ n: number; kind: string; status: string; role?: string; vault?: string; member?: string; error?: { code: string; message: string } }>;
}

function bar(run: RunView): string {
  const done = run.steps.filter((s) => s.status === 'done').length;
  const width = 30;
  const filled = Math.round((done / Math.max(1, run.steps.length)) * width);
  const current = run.steps.find((s) => s.status !== 'done');
  const label = current ? `${current.kind}${current.role ? ` ${current.role}` : ''}${current.vault ? ` ${current.vault}` : ''} (${current.status})` : run.status;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${run.steps.length} ${label}`;
}

export async function runRotate(opts: { protector: string; dryRun?: boolean; url?: string; wait?: boolean }): Promise<void> {
  const base = hostBase(opts.url);
  const { status, body } = await hostRequest(base, 'POST', `/api/protectors/${encodeURIComponent(opts.protector)}/rotations`, {
    requestedBy: `cli:${process.env['USER'] ?? 'operator'}`,
    ...(opts.dryRun ? { dryRun: true } : {}),
  });
  if (status === 404 || status === 400) throw new UsageError(String(body['error'] ?? status));
  // Anything but a started run (409 busy, 422 refused, 503 topology not checkable) is printed as the host said it.
  if (opts.dryRun || status !== 202) {
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    if (status !== 200 && status !== 202) process.exitCode = 1;
    return;
  }
  let run = body as unknown as RunView;
  process.stderr.write(`rotation ${run.id} started\n`);
  if (opts.wait === false) {
    process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    return;
  }
  const tty = process.stderr.isTTY;
  let last = '';
  while (run.status === 'running') {
    await sleep(500);
    run = (await hostRequest(base, 'GET', `/api/rotations/${encodeURIComponent(run.id)}`)).body as unknown as RunView;
    const line = bar(run);
    if (line !== last) process.stderr.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
    last = line;
  }
  if (tty) process.stderr.write('\n');
  const failed = run.steps.find((s) => s.status === 'failed');
  if (failed) process.stderr.write(`step ${failed.n} ${failed.kind} failed: ${failed.error?.code} — ${failed.error?.message}\n`);
  process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
  if (run.status !== 'completed') process.exitCode = 1;
}
