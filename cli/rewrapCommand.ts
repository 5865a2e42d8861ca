// `keysteward rewrap --protector <id> --to <version> [--from <version>] [--vault <vault>] [--no-wait]`: asks the
// running host to queue a DEK rewrap campaign — the Cosmos client encryption keys of a cosmos-always-encrypted
// protector, keysteward's own DEK store otherwise — and follows its counters until it ends. Exit 1 when the
// campaign failed or was refused; 2 on bad arguments.
import { hostBase, hostRequest, sleep } from './hostApi.js';
import { UsageError } from './usageError.js';

interface StatusView {
  request: { id: string; toKid: string; fromKid: string | null };
  state: 'queued' | 'running' | 'completed' | 'failed';
  progress: Record<string, number> | null;
  summary: Record<string, unknown> | null;
  error: string | null;
  attempts: number;
}

function line(s: StatusView): string {
  const p = s.progress ?? {};
  const moved = p['rewrapped'] ?? 0;
  const seen = p['scanned'] ?? 0;
  const extra = [`${p['failures'] ?? 0} failed`, `${p['throttled'] ?? 0} throttled`].join(', ');
  return `${s.state}: ${moved} rewrapped of ${seen} scanned (${extra})${s.error && s.state !== 'completed' ? ` — last attempt: ${s.error}` : ''}`;
}

export async function runRewrap(opts: { protector: string; to: string; from?: string; vault?: string; url?: string; wait?: boolean }): Promise<void> {
  const base = hostBase(opts.url);
  const { status, body } = await hostRequest(base, 'POST', `/api/protectors/${encodeURIComponent(opts.protector)}/rewraps`, {
    toVersion: opts.to,
    ...(opts.from ? { fromVersion: opts.from } : {}),
    ...(opts.vault ? { vault: opts.vault } : {}),
  });
  if (status === 404 || status === 400 || status === 422) throw new UsageError(String(body['error'] ?? status));
  let s = body as unknown as StatusView;
  process.stderr.write(`rewrap campaign ${s.request.id} ${s.state}\n`);
  if (opts.wait === false) {
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return;
  }
  const tty = process.stderr.isTTY;
  let last = '';
  // A failed attempt is retried by the queue (state back to queued), so only completed — or failed with no
  // attempt left, which the host reports as failed — ends the wait.
  while (s.state !== 'completed' && s.state !== 'failed') {
    await sleep(1000);
    const reply = await hostRequest(base, 'GET', `/api/rewraps/${encodeURIComponent(s.request.id)}`);
    if (reply.status !== 200) {
      if (tty) process.stderr.write('\n');
      process.stderr.write(`cannot follow campaign ${s.request.id}: ${reply.status} ${String(reply.body['error'] ?? '')}\n`);
      process.exitCode = 1;
      return;
    }
    s = reply.body as unknown as StatusView;
    const l = line(s);
    if (l !== last) process.stderr.write(tty ? `\r${l}\u001b[K` : `${l}\n`);
    last = l;
  }
  if (tty) process.stderr.write('\n');
  process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
  if (s.state !== 'completed') process.exitCode = 1;
}
