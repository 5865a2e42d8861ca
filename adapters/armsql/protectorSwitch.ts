// The port the rotation's `switch-protector` and `verify` steps use (DESIGN.md §4.5): ARM's view of a SQL server's
// TDE protector and server keys. To move to app/ports.ts; the adapter is sqlProtectorSwitch.ts.

export interface ProtectorState {
  /** `<vault>_<key>_<version>`, or `ServiceManaged`. */
  readonly serverKeyName: string;
  /** The Key Vault key id (versioned), null for a service-managed protector. */
  readonly kid: string | null;
  readonly serverKeyType: 'AzureKeyVault' | 'ServiceManaged';
}

/**
 * `server` is always the server's ARM resource id; `kid` a versioned Key Vault key id. Failures are ArmSqlError
 * subclasses (errors.ts) carrying `status`, `code` and `retryable`.
 */
export interface ProtectorSwitch {
  getProtector(server: string): Promise<ProtectorState>;
  hasServerKey(server: string, kid: string): Promise<boolean>;
  /** Idempotent: a server key already holding this kid is success, with no write. */
  addServerKey(server: string, kid: string): Promise<void>;
  /** Idempotent: when the kid is already the protector nothing is written. The server key must exist (addServerKey). */
  setProtector(server: string, kid: string): Promise<void>;
}
