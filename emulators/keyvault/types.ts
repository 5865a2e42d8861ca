import type { KeyVaultFault } from './faults.js';

// Public types of the Key Vault emulator (DESIGN.md §6). The audit record type mirrors the real `AuditEvent`
// schema (azure-formats.md §1.1/§1.2); its field order is the order the builder writes, see audit.ts.

/** Key permissions as named in Key Vault access policies; RBAC-mode vaults use the same grants (see access.ts). */
export type KeyPermission =
  | 'get'
  | 'list'
  | 'create'
  | 'import'
  | 'update'
  | 'delete'
  | 'recover'
  | 'backup'
  | 'restore'
  | 'purge'
  | 'wrapKey'
  | 'unwrapKey'
  | 'encrypt'
  | 'decrypt'
  | 'sign'
  | 'verify'
  | 'rotate'
  | 'getrotationpolicy'
  | 'setrotationpolicy';

export const ALL_KEY_PERMISSIONS: readonly KeyPermission[] = [
  'get', 'list', 'create', 'import', 'update', 'delete', 'recover', 'backup', 'restore', 'purge',
  'wrapKey', 'unwrapKey', 'encrypt', 'decrypt', 'sign', 'verify', 'rotate', 'getrotationpolicy', 'setrotationpolicy',
];

export interface NetworkAcls {
  readonly defaultAction: 'Allow' | 'Deny';
  readonly bypass: 'AzureServices' | 'None';
}

export interface EmulatedVault {
  readonly name: string;
  /** Default `eastus`; appears in denial texts (`Vault: <name>;location=<region>`) and `x-ms-keyvault-region`. */
  readonly region?: string;
  /** ARM id; default `/subscriptions/00000000-…/resourceGroups/rg-keysteward-local/providers/Microsoft.KeyVault/vaults/<name>`. */
  readonly resourceId?: string;
  /** Default true. */
  readonly softDelete?: boolean;
  /** Default true. */
  readonly purgeProtection?: boolean;
  /** Default true: RBAC denial texts (`ForbiddenByRbac`); false: access-policy texts (`AccessDenied`). */
  readonly rbac?: boolean;
  readonly networkAcls?: NetworkAcls;
}

/**
 * Per vault, per window, weighted like Key Vault (limits.md K1–K8): the operation budget is `rsa2048` units,
 * one unit being one software RSA-2048 operation.
 */
export interface KeyVaultLimits {
  /** Default 10_000 ms. */
  readonly windowMs?: number;
  /** Software RSA-2048 operations per window. Default 4000 (RSA-HSM keys cost 2 units: 2000 per window). */
  readonly rsa2048?: number;
  /** Software RSA-3072 operations per window. Default rsa2048 / 4 (1000; HSM: half). RSA-4096 costs 8 units (16 for HSM). */
  readonly rsa3072?: number;
  /** Key creations (create, import, rotate) per window. Default 20 (an RSA-HSM creation costs 2: 10 per window). */
  readonly create?: number;
}

export interface KeyVaultEmulatorOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  /** 0 (default) picks a free port. The server listens on 127.0.0.1 only. */
  readonly port?: number;
  /** Tenant named in the 401 challenge. Default the zero GUID (what LocalEmulatorCredential puts in `iss`). */
  readonly tenantId?: string;
  readonly vaults: readonly EmulatedVault[];
  readonly limits?: KeyVaultLimits;
  /** Called synchronously with each audit record, before the response is sent. Must not throw (errors are ignored). */
  readonly onAudit?: (record: AuditRecord) => void;
  /** Epoch ms. Drives key timestamps, nbf/exp checks, throttling windows and audit times. Default Date.now. */
  readonly clock?: () => number;
  /** New key version ids (32 lower-case hex). Default crypto.randomBytes(16). */
  readonly newVersionId?: () => string;
}

/** A stored key version as a test or a fault suite sees it (emulator only: it includes the private key members). */
export interface EmulatedKeyVersion {
  readonly version: string;
  readonly kid: string;
  readonly enabled: boolean;
  /** Epoch seconds. */
  readonly created: number;
  readonly tags: Readonly<Record<string, string>>;
  /** Public members (base64url). */
  readonly n: string;
  readonly e: string;
  /** The private JWK members d, p, q, dp, dq, qi (base64url): what must never appear anywhere outside the vault. */
  readonly privateParts: Readonly<Record<string, string>>;
}

export interface KeyVaultEmulator {
  readonly port: number;
  /** `https://<vault>.vault.localhost:<port>/` */
  vaultUrl(vault: string): string;
  grant(vault: string, principalOid: string, permissions: readonly KeyPermission[] | 'all'): void;
  /** Without `permissions`, removes every grant of the principal. */
  revoke(vault: string, principalOid: string, permissions?: readonly KeyPermission[]): void;
  setNetworkAcls(vault: string, acls: NetworkAcls | null): void;
  /** Callers (by oid) that pass a `bypass: AzureServices` firewall as trusted services, e.g. 'Microsoft.Sql'. */
  setTrustedService(principalOid: string, service: string): void;
  auditLog(): readonly AuditRecord[];
  /** Adds an injected fault (a 429 or 5xx storm, latency); see faults.ts. Throws Error when it is invalid. */
  inject(fault: KeyVaultFault): void;
  /** Ends every injected fault. */
  clearFaults(): void;
  /** Every version of a key (creation order), deleted keys included; [] when the vault has no such key. */
  keyVersions(vault: string, key: string): EmulatedKeyVersion[];
  close(): Promise<void>;
}

export interface AuditKeyProperties {
  readonly type: string;
  readonly size: number;
  readonly operations: readonly string[];
  readonly attributes: { readonly enabled: boolean; readonly nbf?: number; readonly exp?: number; readonly hsmPlatform: string };
}

export interface AuditProperties {
  readonly id?: string;
  readonly clientInfo: string;
  readonly httpStatusCode: number;
  readonly requestUri: string;
  readonly isRbacAuthorized?: boolean;
  readonly isAccessPolicyMatch?: boolean;
  readonly appliedAssignmentId?: string;
  readonly trustedService?: string;
  readonly keyProperties?: AuditKeyProperties;
  readonly tlsVersion: string;
}

export interface AuditRecord {
  readonly time: string;
  readonly category: 'AuditEvent';
  readonly operationName: string;
  /** Always "Success", even for 401/403/404/429 (azure-formats.md §8.1). */
  readonly resultType: 'Success';
  readonly resultDescription?: string;
  readonly correlationId: string;
  readonly callerIpAddress: string;
  /** Absent on unauthenticated (401) requests. */
  readonly identity?: { readonly claim: Readonly<Record<string, unknown>> };
  readonly properties: AuditProperties;
  readonly resourceId: string;
  readonly operationVersion: string;
  readonly resultSignature: string;
  readonly durationMs: string;
}
