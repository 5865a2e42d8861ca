// `keysteward retire --protector <id> --vault <vault> --version <version>`: asks the host to disable an old key
// version behind the retirement gate; prints the refusal and its blockers when anything still needs it.
import { UsageError } from './usageError.js';

export async function runRetire(opts: { protector: string; vault: string; version: string; url?: string }): Promise<void> {
  const base = (opts.url ?? process.env['KEYSTEWARD_URL'] ?? 'http://127.0.0.1:7071').replace(/\/$/, '');
  const path = `/api/protectors/${encodeURIComponent(opts.protector)}/versions/${encodeURIComponent(opts.vault)}/${encodeURIComponent(opts.version)}/disable`;
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { method: 'POST', ...(process.env['KEYSTEWARD_API_KEY'] ? { headers: { 'x-api-key': process.env['KEYSTEWARD_API_KEY'] } } : {}) });
  } catch (err) {
    throw new UsageError(`cannot reach the keysteward host at ${base} (${err instanceof Error ? err.message : String(err)})`);
  }
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status === 404 || res.status === 400) throw new UsageError(String(body['error'] ?? res.statusText));
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  if (res.status !== 200) process.exitCode = 1;
}
