// Admin HTTP API on host `localhost` (not a vault host), for people trying the local demo: revoke or grant a
// principal's key permissions, close or open a vault's firewall, and read the audit log. JSON in and out.
import { permissionsOf } from './access.js';
import type { KeyVaultEmulator, NetworkAcls } from './types.js';

export interface AdminResponse {
  readonly status: number;
  readonly body: unknown;
}

type AdminTarget = Pick<KeyVaultEmulator, 'grant' | 'revoke' | 'setNetworkAcls' | 'auditLog'> & { hasVault(vault: string): boolean };

const fail = (status: number, message: string): AdminResponse => ({ status, body: { error: message } });

function parseJson(raw: Buffer): Record<string, unknown> | null {
  if (raw.length === 0) return {};
  try {
    const v = JSON.parse(raw.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function networkAclsOf(body: Record<string, unknown>): NetworkAcls | null | undefined {
  const { defaultAction, bypass } = body;
  if (defaultAction !== 'Allow' && defaultAction !== 'Deny') return undefined;
  const b = bypass ?? 'AzureServices';
  if (b !== 'AzureServices' && b !== 'None') return undefined;
  return { defaultAction, bypass: b };
}

export function handleAdmin(method: string, url: URL, raw: Buffer, target: AdminTarget): AdminResponse {
  if (method === 'GET' && url.pathname === '/_admin/audit') {
    const since = Number(url.searchParams.get('since') ?? 0);
    if (!Number.isInteger(since) || since < 0) return fail(400, 'since must be a non-negative integer');
    const log = target.auditLog();
    return { status: 200, body: { records: log.slice(since), next: log.length } };
  }
  const m = /^\/_admin\/vaults\/([^/]+)\/(revoke|grant|network)$/.exec(url.pathname);
  if (!m?.[1] || !m[2]) return fail(404, 'no such admin endpoint');
  if (method !== 'POST') return fail(405, 'use POST');
  const vault = decodeURIComponent(m[1]).toLowerCase();
  if (!target.hasVault(vault)) return fail(404, `unknown vault ${vault}`);
  const body = parseJson(raw);
  if (!body) return fail(400, 'body must be a JSON object');

  if (m[2] === 'network') {
    const acls = networkAclsOf(body);
    if (acls === undefined) return fail(400, 'body must be {"defaultAction":"Allow"|"Deny","bypass":"AzureServices"|"None"}');
    target.setNetworkAcls(vault, acls);
    return { status: 200, body: { vault, networkAcls: acls } };
  }

  const principalId = body.principalId;
  if (typeof principalId !== 'string' || principalId === '') return fail(400, 'principalId is required');
  if (m[2] === 'grant') {
    const permissions = permissionsOf(body.permissions);
    if (!permissions) return fail(400, 'permissions must be "all" or a list of key permissions');
    target.grant(vault, principalId, permissions);
    return { status: 200, body: { vault, principalId, granted: permissions } };
  }
  if (body.permissions === undefined) {
    target.revoke(vault, principalId);
    return { status: 200, body: { vault, principalId, revoked: 'all' } };
  }
  const permissions = permissionsOf(body.permissions);
  if (!permissions) return fail(400, 'permissions must be "all" or a list of key permissions');
  if (permissions === 'all') target.revoke(vault, principalId);
  else target.revoke(vault, principalId, permissions);
  return { status: 200, body: { vault, principalId, revoked: permissions } };
}
