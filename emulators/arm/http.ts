// One ARM request and its answer, as the front door hands them to a resource provider and sends them back.
import type { ArmError } from './errors.js';

export interface ArmRequest {
  readonly method: string;
  readonly url: URL;
  readonly authorization: string | undefined;
  readonly body: Buffer;
  /** The caller's object id (from the bearer token), once the front door has checked it. */
  readonly caller: string;
}

export interface ArmResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export const json = (status: number, body?: unknown, headers: Record<string, string> = {}): ArmResponse => ({ status, headers, ...(body !== undefined ? { body } : {}) });

export const failure = (e: ArmError, headers: Readonly<Record<string, string>> = {}): ArmResponse => json(e.status, e.body(), { ...headers, ...e.headers });

/** The request's JSON body, or undefined when it is empty or not JSON (each write reports that with its own code). */
export function parseBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** ARM segment values arrive URL-encoded; a malformed escape is kept as sent. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
