// How the operator commands (rotate, retire, rewrap) talk to a running keysteward host: its URL (--url, else
// KEYSTEWARD_URL, else the local default) and its API key (KEYSTEWARD_API_KEY), one JSON request at a time.
import { UsageError } from './usageError.js';

export interface HostReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export const hostBase = (url: string | undefined): string => (url ?? process.env['KEYSTEWARD_URL'] ?? 'http://127.0.0.1:7071').replace(/\/$/, '');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function hostRequest(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<HostReply> {
  const apiKey = process.env['KEYSTEWARD_API_KEY'];
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(apiKey ? { 'x-api-key': apiKey } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new UsageError(`cannot reach the keysteward host at ${base} (${err instanceof Error ? err.message : String(err)}); start it with \`keysteward serve\` or \`npm start\``);
  }
  const text = await res.text();
  let parsed: unknown = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { error: text.slice(0, 200) };
  }
  return { status: res.status, body: (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown> };
}
