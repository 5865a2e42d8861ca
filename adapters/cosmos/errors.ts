// Cosmos DB failures as one typed error. Safe to log (I8): status, Cosmos code and the operation only — never the
// SDK's ErrorResponse (its headers and body can carry request details) nor any client encryption key value.
export class CosmosError extends Error {
  override readonly name = 'CosmosError';

  constructor(
    readonly operation: string,
    /** HTTP status; null when no response arrived. */
    readonly status: number | null,
    readonly code: string | null,
  ) {
    super(`Cosmos DB ${operation} failed: ${status ?? 'no response'}${code ? ` ${code}` : ''}`);
  }
}

/** The HTTP status of an @azure/cosmos ErrorResponse (its `code` is the status number), else null. */
export function cosmosStatusOf(err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : null;
}

export function toCosmosError(operation: string, err: unknown): CosmosError {
  if (err instanceof CosmosError) return err;
  const body = (err as { body?: { code?: unknown } } | null)?.body;
  return new CosmosError(operation, cosmosStatusOf(err), typeof body?.code === 'string' ? body.code : null);
}
