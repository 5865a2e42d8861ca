// Errors the Table adapters raise. A stored entity that does not parse is an infrastructure fault (someone or
// something wrote the table by hand, or a bug wrote half a value), not bad input: it is thrown, never skipped.
import { isRestError } from '@azure/core-rest-pipeline';

export class CorruptEntityError extends Error {
  override readonly name = 'CorruptEntityError';

  constructor(
    readonly table: string,
    readonly partitionKey: string,
    readonly rowKey: string,
    detail: string,
  ) {
    super(`corrupt entity in table "${table}" (PartitionKey "${partitionKey}", RowKey "${rowKey}"): ${detail}`);
  }
}

/** A value that cannot be stored without breaking Table Storage limits: refused before any write. */
export class EntityTooLargeError extends Error {
  override readonly name = 'EntityTooLargeError';

  constructor(
    readonly table: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`refusing to write a ${bytes}-byte entity to table "${table}": Table Storage allows ${limit} bytes per entity`);
  }
}

/** The HTTP status of a Table Storage failure, or null for anything else (network, bugs). */
export function statusOf(err: unknown): number | null {
  return isRestError(err) && typeof err.statusCode === 'number' ? err.statusCode : null;
}
