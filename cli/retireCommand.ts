// `keysteward retire --protector <id> --vault <vault> --version <version>`: asks the host to disable an old key
// version behind the retirement gate; prints the refusal and its blockers when anything still needs it.
import { hostBase, hostRequest } from './hostApi.js';
import { UsageError } from './usageError.js';

export async function runRetire(opts: { protector: string; vault: string; version: string; url?: string }): Promise<void> {
  const path = `/api/protectors/${encodeURIComponent(opts.protector)}/versions/${encodeURIComponent(opts.vault)}/${encodeURIComponent(opts.version)}/disable`;
  const { status, body } = await hostRequest(hostBase(opts.url), 'POST', path);
  if (status === 404 || status === 400) throw new UsageError(String(body['error'] ?? status));
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  if (status !== 200) process.exitCode = 1;
}
