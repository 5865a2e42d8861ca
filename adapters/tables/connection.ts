// Table clients for both worlds: a connection string (Azurite in tests and `npm start`) or an account URL with
// a credential (production, managed identity). Tables are created on first use, once per client, idempotently.
import { TableClient } from '@azure/data-tables';
import { isNamedKeyCredential, isSASCredential, type NamedKeyCredential, type SASCredential, type TokenCredential } from '@azure/core-auth';

export type TableConnection =
  | { readonly connectionString: string }
  | { readonly accountUrl: string; readonly credential: TokenCredential | NamedKeyCredential | SASCredential };

/** A table client plus a memoised "create the table if absent" step. */
export interface LazyTable {
  readonly name: string;
  /** Resolves to the client once the table exists. */
  ready(): Promise<TableClient>;
}

export function openTable(connection: TableConnection, tableName: string): LazyTable {
  const client = makeClient(connection, tableName);
  let creating: Promise<TableClient> | null = null;
  return {
    name: tableName,
    ready() {
      // createTable tolerates TableAlreadyExists, so concurrent first uses from many instances are safe.
      creating ??= client.createTable().then(
        () => client,
        (err: unknown) => {
          creating = null; // let the next call retry a transient failure
          throw err;
        },
      );
      return creating;
    },
  };
}

// The SDK refuses plain HTTP unless told; allow it only for loopback emulators (Azurite), never for a real account.
const LOOPBACK_HTTP = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/i;

function makeClient(connection: TableConnection, tableName: string): TableClient {
  if ('connectionString' in connection) {
    const endpoint = /(?:^|;)\s*TableEndpoint=([^;]+)/i.exec(connection.connectionString)?.[1] ?? '';
    const allowInsecureConnection = LOOPBACK_HTTP.test(endpoint.trim());
    return TableClient.fromConnectionString(connection.connectionString, tableName, { allowInsecureConnection });
  }
  const { accountUrl, credential } = connection;
  const options = { allowInsecureConnection: LOOPBACK_HTTP.test(accountUrl) };
  // TableClient has one constructor overload per credential kind, so narrow before calling it.
  if (isNamedKeyCredential(credential)) return new TableClient(accountUrl, tableName, credential, options);
  if (isSASCredential(credential)) return new TableClient(accountUrl, tableName, credential, options);
  return new TableClient(accountUrl, tableName, credential, options);
}
