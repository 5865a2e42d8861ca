// Output contracts (DESIGN.md §4.3): incidents and findings as data, serialisable as they stand.

export type IncidentCause =
  | 'permission_revoked'
  | 'firewall_blocked'
  | 'key_disabled'
  | 'key_expired'
  | 'key_deleted'
  | 'key_purged'
  | 'vault_deleted'
  | 'identity_removed'
  | 'unknown_denial';

export type IncidentStage = 'at_risk' | 'access_lost' | 'inaccessible' | 'autoheal_expired' | 'resolved';

export interface Evidence {
  readonly source: 'keyvault-audit' | 'activity-log' | 'event-grid';
  readonly time: string;
  readonly operation: string;
  readonly status?: number;
}

export interface Incident {
  readonly protector: string;
  readonly member: string;
  readonly cause: IncidentCause;
  readonly stage: IncidentStage;
  readonly openedAt: string;
  readonly accessLostAt: string | null;
  readonly inaccessibleAt: string | null;
  readonly autohealDeadline: string | null;
  readonly resolvedAt: string | null;
  /** How many times this (protector, member, cause) incident opened before the current episode (0 = first). */
  readonly episode: number;
  readonly evidence: readonly Evidence[];
}

export type FindingCode =
  | 'geo_rotation_incomplete'
  | 'geo_key_material_missing'
  | 'key_near_expiry'
  | 'purge_protection_disabled'
  | 'soft_delete_disabled'
  | 'rotation_due'
  | 'vault_firewall_blocks_trusted_services';

export interface Finding {
  readonly code: FindingCode;
  readonly protector: string;
  readonly vault: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface Processed {
  records: number;
  matched: number;
  ignored: number;
  rejected: number;
}

export interface ReplayReport {
  readonly processed: Processed;
  readonly incidents: readonly Incident[];
  readonly findings: readonly Finding[];
}
