// `keysteward rotate --protector <id> [--dry-run]`: asks the running host (KEYSTEWARD_URL, default
// http://127.0.0.1:7071) to start a rotation and follows it with a progress bar until it ends. --dry-run prints
// the plan the host would run, judged on live key versions and the protector's current state.
import { UsageError } from './usageError.js';

interface RunView {
  id: string;
  status: string;
  steps: Array<{ n: number; kind: string; status: string; role?: string; vault?: string; member?: string; error?: { code: string; message: string } }>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function bar(run: RunView): string {
  const done = run.steps.filter((s) => s.status === 'done').length;
  const width = 30;
  const filled = Math.round((done / Math.max(1, run.steps.length)) * width);
  const current = run.steps.find((s) => s.status !== 'done');
  const label = current ? `${current.kind}${current.role ? ` ${current.role}` : ''}${current.vault ? ` ${current.vault}` : ''} (${current.status})` : run.status;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${run.steps.length} ${label}`;
}

export async function runRotate(opts: { protector: string; dryRun?: boolean; url?: string; wait?: boolean }): Promise<void> {
  const base = (opts.url ?? process.env['KEYSTEWARD_URL'] ?? 'http://127.0.0.1:7071').replace(/\/$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/api/protectors/${encodeURIComponent(opts.protector)}/rotations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(process.env['KEYSTEWARD_API_KEY'] ? { 'x-api-key': process.env['KEYSTEWARD_API_KEY'] } : {}) },
      body: JSON.stringify({ requestedBy: `cli:${process.env['USER'] ?? 'operator'}`, ...(opts.dryRun ? { dryRun: true } : {}) }),
    });
  } catch (err) {
    throw new UsageError(`cannot reach the keysteward host at ${base} (${err instanceof Error ? err.message : String(err)}); start it with \`keysteward serve\` or \`npm start\``);
  }
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status === 404 || res.status === 400) throw new UsageError(String(body['error'] ?? res.statusText));
  if (opts.dryRun || res.status === 409 || res.status === 422) {
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    if (res.status === 409 || res.status === 422) process.exitCode = 1;
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
    run = (await (await fetch(`${base}/api/rotations/${encodeURIComponent(run.id)}`, process.env['KEYSTEWARD_API_KEY'] ? { headers: { 'x-api-key': process.env['KEYSTEWARD_API_KEY'] } } : {})).json()) as RunView;
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
