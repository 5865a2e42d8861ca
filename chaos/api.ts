// The suite's clients of the keysteward host, each behaving like the real sender it stands for: Event Grid retries a
// delivery that got no answer, 408, 429 or 5xx (and gives up on 400, 401, 403 and 413); an operator or a ServiceNow
// change owner re-sends a request that got no answer, with the same idempotency key.
export interface Reply {
  /** 0: no answer (connection refused or reset, timeout). */
  readonly status: number;
  readonly body: unknown;
  readonly error?: string;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {}): Promise<Reply> {
  try {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? (JSON.parse(text) as unknown) : null;
    } catch {
      // Not JSON (a dashboard, an error page): kept as text.
    }
    return { status: res.status, body };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { status: 0, body: null, error: cause ?? (err instanceof Error ? err.name : String(err)) };
  }
}

/** A host's API with its key; `base()` is read per call, so a restarted host on the same port is reached again. */
export class HostClient {
  constructor(
    readonly base: () => string,
    private readonly apiKey: string,
  ) {}

  get(path: string, timeoutMs?: number): Promise<Reply> {
    return request(`${this.base()}${path}`, { headers: { 'x-api-key': this.apiKey }, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  }

  post(path: string, body: unknown, timeoutMs?: number): Promise<Reply> {
    return request(`${this.base()}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': this.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  }

  /** Resolves true once GET /api/health answers (any status) within `timeoutMs`. */
  async answersHealth(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const r = await request(`${this.base()}/api/health`, { timeoutMs: Math.max(500, until - Date.now()) });
      if (r.status !== 0) return true;
      await sleep(100);
    }
    return false;
  }
}

export interface Delivery {
  readonly acknowledged: boolean;
  readonly attempts: number;
  /** Status of each attempt (0 = no answer). */
  readonly statuses: readonly number[];
}

const FINAL = new Set([400, 401, 403, 413]);

/** An Event Grid delivery to `targets()` (one per attempt, round robin), retried as Event Grid does until acknowledged. */
export async function deliverEventGrid(targets: () => readonly string[], key: string, body: string, opts: { maxAttempts: number; backoffMs: number; timeoutMs?: number }): Promise<Delivery> {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < opts.maxAttempts; attempt++) {
    const urls = targets();
    const url = urls[attempt % urls.length] as string;
    const r = await request(`${url}/api/events/eventgrid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-sas-key': key, 'aeg-delivery-count': String(attempt), 'aeg-event-type': 'Notification' },
      body,
      timeoutMs: opts.timeoutMs ?? 30_000,
    });
    statuses.push(r.status);
    if (r.status >= 200 && r.status < 300) return { acknowledged: true, attempts: attempt + 1, statuses };
    if (FINAL.has(r.status)) break;
    await sleep(Math.min(opts.backoffMs * 2 ** attempt, 5_000));
  }
  return { acknowledged: false, attempts: statuses.length, statuses };
}

/** Sends `send()` until it is answered 2xx (or refuses for good: another 4xx), pausing between attempts. */
export async function resend(send: () => Promise<Reply>, opts: { maxAttempts: number; backoffMs: number; retryOn?: (r: Reply) => boolean }): Promise<Reply & { attempts: number }> {
  let last: Reply = { status: 0, body: null };
  for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
    last = await send();
    if (last.status >= 200 && last.status < 300) return { ...last, attempts: attempt };
    const retry = opts.retryOn ? opts.retryOn(last) : last.status === 0 || last.status >= 500 || last.status === 429;
    if (!retry) return { ...last, attempts: attempt };
    await sleep(opts.backoffMs);
  }
  return { ...last, attempts: opts.maxAttempts };
}
