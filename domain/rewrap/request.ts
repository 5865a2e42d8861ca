// A request to rewrap the DEKs of one protector's key onto a new version, validated against the estate (pure).
// Which DEKs: a cosmos-always-encrypted protector's are its Cosmos client encryption keys; any other protector's are
// keysteward's own envelope DEK store. The id names the campaign (protector, vault, from, to): asking twice for the
// same campaign is the same campaign, and it carries no ':' (BullMQ) and nothing secret (I8).
import type { Estate } from '../estate/model.js';
import { parseVersionedKid } from './kid.js';

export type RewrapStoreKind = 'cosmos-ceks' | 'dek-store';

export interface RewrapRequest {
  readonly id: string;
  readonly protector: string;
  readonly store: RewrapStoreKind;
  readonly toKid: string;
  /** null: every older version of the key (Cosmos only; the DEK store needs the version it moves away from). */
  readonly fromKid: string | null;
}

export type RewrapRequestResult =
  | { readonly ok: true; readonly request: RewrapRequest }
  | { readonly ok: false; readonly kind: 'unknown-protector' | 'bad-request'; readonly error: string };

const VERSION = /^[0-9a-f]{32}$/i;

export function buildRewrapRequest(
  estate: Estate,
  protectorId: string,
  args: { readonly toVersion: string; readonly fromVersion?: string | undefined; readonly vault?: string | undefined },
  vaultUrl: (vault: string) => string,
): RewrapRequestResult {
  const protector = estate.protectors.find((p) => p.id === protectorId);
  if (!protector) return { ok: false, kind: 'unknown-protector', error: `unknown protector "${protectorId}"` };
  const bad = (error: string): RewrapRequestResult => ({ ok: false, kind: 'bad-request', error });
  if (!VERSION.test(args.toVersion)) return bad('toVersion must be a 32-hex Key Vault version id');
  if (args.fromVersion !== undefined && !VERSION.test(args.fromVersion)) return bad('fromVersion must be a 32-hex Key Vault version id');
  if (args.fromVersion !== undefined && args.fromVersion.toLowerCase() === args.toVersion.toLowerCase()) return bad('fromVersion and toVersion are the same');
  const vaults = [...new Set(protector.members.map((m) => m.vault))];
  const vault = (args.vault ?? protector.members.find((m) => m.role === 'primary')?.vault ?? '').toLowerCase();
  if (!vaults.includes(vault)) return bad(`vault "${args.vault ?? ''}" holds no member of ${protector.id} (its vaults: ${vaults.join(', ')})`);
  const store: RewrapStoreKind = protector.kind === 'cosmos-always-encrypted' ? 'cosmos-ceks' : 'dek-store';
  if (store === 'cosmos-ceks' && !protector.alwaysEncrypted) return bad(`the estate names no alwaysEncrypted endpoint and databases for ${protector.id}`);
  if (store === 'dek-store' && args.fromVersion === undefined) return bad('fromVersion is required for keysteward\'s DEK store');
  const kidOf = (version: string): string | null => parseVersionedKid(`${vaultUrl(vault).replace(/\/$/, '')}/keys/${protector.keyName}/${version}`)?.kid ?? null;
  const toKid = kidOf(args.toVersion);
  const fromKid = args.fromVersion === undefined ? null : kidOf(args.fromVersion);
  if (!toKid || (args.fromVersion !== undefined && !fromKid)) return bad(`the vault URL of ${vault} does not make a Key Vault key identifier`);
  const id = ['rewrap', protector.id, vault, args.fromVersion?.toLowerCase() ?? 'older', args.toVersion.toLowerCase()].join('-');
  return { ok: true, request: { id, protector: protector.id, store, toKid, fromKid } };
}
