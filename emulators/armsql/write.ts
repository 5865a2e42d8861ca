// A write is checked in two stages, as Azure SQL does: the request's shape when it arrives (always answered on the
// PUT itself), then the checks against state and Key Vault (answered on the PUT in sync mode, or through the async
// operation in async mode).
import { ArmError } from '../arm/errors.js';
import type { HistoryDraft } from './history.js';
import type { ServerRegistry } from './state.js';
import type { KeyLookup } from './types.js';

export interface WriteResult {
  readonly status: 200 | 201 | 204;
  readonly body?: unknown;
  /** False when the state was already as asked. */
  readonly changed: boolean;
}

export interface PreparedWrite {
  readonly draft: HistoryDraft;
  /** The request's shape is wrong: refused on the PUT itself, whatever the write mode. */
  readonly refused: ArmError | null;
  /** Throws an ArmError when Azure would refuse the write; applies it otherwise. */
  readonly apply: () => Promise<WriteResult>;
}

/** Runs the shape checks now; `apply` gets what they parsed. */
export function prepare<T>(draft: HistoryDraft, shape: () => T, apply: (parsed: T) => Promise<WriteResult>): PreparedWrite {
  try {
    const parsed = shape();
    return { draft, refused: null, apply: () => apply(parsed) };
  } catch (e) {
    if (!(e instanceof ArmError)) throw e;
    return { draft, refused: e, apply: () => Promise.reject(e) };
  }
}

export interface WriteDeps {
  readonly registry: ServerRegistry;
  readonly lookup: KeyLookup | undefined;
  /** ISO 8601 now. */
  readonly now: () => string;
}

export type JsonObject = Readonly<Record<string, unknown>>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
