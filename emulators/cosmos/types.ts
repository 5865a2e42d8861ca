// Public types of the Cosmos DB emulator subset (DESIGN.md §6): account discovery, databases and the client
// encryption keys (CEKs) of Always Encrypted, as @azure/cosmos 4.9.3 sends them over HTTPS, with master-key and
// AAD (Entra ID) authorization and per-principal data-plane roles.

/** `keyWrapMetadata` of a CEK (azure-cosmos-dotnet-v3 EncryptionKeyWrapMetadata: type, name, value, algorithm). */
export interface CekWrapMetadata {
  /** Key resolver name, e.g. `AZURE_KEY_VAULT`. */
  readonly type: string;
  /** Name of the key encryption key (KEK). */
  readonly name: string;
  /** Path of the KEK: for Key Vault, its kid (a versioned key id after a rotation). */
  readonly value: string;
  /** Key wrap algorithm, `RSA-OAEP` for the JS SDK. */
  readonly algorithm: string;
}

/** A CEK present when the emulator starts. */
export interface SeedCek {
  readonly id: string;
  readonly keyWrapMetadata: CekWrapMetadata;
  /** The wrapped data encryption key: bytes, or their base64. */
  readonly wrappedDataEncryptionKey: Uint8Array | string;
  /** Default `AEAD_AES_256_CBC_HMAC_SHA256`, the only algorithm the SDKs accept. */
  readonly encryptionAlgorithm?: string;
}

/** A CEK as stored (a copy: changing it changes nothing in the emulator). */
export interface StoredCek {
  readonly id: string;
  readonly encryptionAlgorithm: string;
  readonly keyWrapMetadata: CekWrapMetadata;
  readonly wrappedDataEncryptionKey: Buffer;
  readonly _rid: string;
  readonly _self: string;
  /** Quoted, as Cosmos sends it (`"\"…\""`); also the `etag` response header and the `If-Match` value. */
  readonly _etag: string;
  /** Seconds since the epoch, from the clock. */
  readonly _ts: number;
}

/** One accepted CEK write. Never carries the wrapped value (nor anything else secret). */
export interface CosmosWriteEntry {
  /** ISO 8601, from the clock. */
  readonly at: string;
  readonly db: string;
  readonly id: string;
  readonly op: 'create' | 'replace';
  /** `keyWrapMetadata.value` after the write: the KEK the CEK is now wrapped with. */
  readonly kekValue: string;
  readonly kekName: string;
  /** The AAD caller's object id, or null for a master-key request. */
  readonly oid: string | null;
}

/** Data-plane roles: `reader` ~ Cosmos DB Built-in Data Reader; `contributor` ~ Built-in Data Contributor. */
export type CosmosRole = 'reader' | 'contributor';

export interface CosmosEmulatorOptions {
  /** The dev certificate (emulators/certs.ts DevCertificate: keyPem / certPem). */
  readonly cert: { readonly key: string; readonly cert: string };
  /** Base64 account key the master-key signatures are checked with. Default: a fixed development key (DEV_MASTER_KEY). */
  readonly masterKey?: string;
  readonly databases?: ReadonlyArray<{ readonly id: string; readonly clientEncryptionKeys?: readonly SeedCek[] }>;
  /** Items per feed page when the request has no (or `-1`) `x-ms-max-item-count`. Default 100. */
  readonly pageSize?: number;
  /** Epoch ms: `_ts` and write-history times. Default Date.now. */
  readonly clock?: () => number;
  /** Called synchronously with each accepted CEK write. Must not throw (errors are ignored). */
  readonly onWrite?: (e: CosmosWriteEntry) => void;
  /** 0 (default) picks a free port. Listens on 127.0.0.1 only. */
  readonly port?: number;
  /**
   * Whether an AAD (Entra ID) principal may create databases and create/replace CEKs through the data plane.
   * `allowed` (default): the `contributor` role may. `refused`: what Azure does today — those requests are
   * control-plane operations there and answer 403 substatus 5300 ("cannot be authorized by AAD token in data
   * plane"; observed for POST /dbs, and reported for CEK create/rewrap in azure-cosmos-dotnet-v3#5546), so only the
   * master key can write them.
   */
  readonly aadMetadataWrites?: 'allowed' | 'refused';
}

export interface CosmosEmulator {
  /** `https://localhost:<port>/`: the CosmosClient `endpoint`, and every location's `databaseAccountEndpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** The account key (base64) the emulator checks master-key signatures with. */
  readonly masterKey: string;
  /** Account-wide. Roles add up as Azure role assignments do: granting `reader` to a contributor leaves it a contributor. */
  grant(oid: string, role: CosmosRole): void;
  /** Removes every role of the principal. */
  revoke(oid: string): void;
  /** Test helpers. */
  cek(db: string, id: string): StoredCek | undefined;
  /** In creation order (the feed's order). Empty for an unknown database. */
  ceks(db: string): StoredCek[];
  writes(): CosmosWriteEntry[];
  /**
   * The next `n` authenticated requests answer `status` (429 TooManyRequests with `x-ms-retry-after-ms`, or 503
   * ServiceUnavailable) and change nothing. `retryAfterMs` default 20.
   */
  failNext(n: number, status: 429 | 503, retryAfterMs?: number): void;
  close(): Promise<void>;
}
