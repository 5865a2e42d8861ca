// Admin HTTP API on host `localhost` (not a vault host), for people trying the local demo and for fault suites:
// revoke or grant a principal's key permissions, close or open a vault's firewall, read the audit log, and inject
// faults (429 / 5xx storms, latency: POST /_admin/faults, GET to list them, DELETE to end them). JSON in and out.
import { permissionsOf } from './access.js';
import { validateFault, type KeyVaultFault } from './faults.js';
import type { KeyVaultEmulator, NetworkAcls } from './types.js';

export interface AdminResponse {
  readonly status: number;
  readonly body: unknown;
}

type AdminTarget = Pick<KeyVaultEmulator, 'grant' | 'revoke' | 'setNetworkAcls' | 'auditLog' | 'inject' | 'clearFaults'> & {
  hasVault(vault: string): boolean;
  faults(): KeyVaultFault[];
};

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
  if (url.pathname === '/_admin/faults') return handleFaults(method, raw, target);
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

function handleFaults(method: string, raw: Buffer, target: AdminTarget): AdminResponse {
  if (method === 'GET') return { status: 200, body: { faults: target.faults() } };
  if (method === 'DELETE') {
    target.clearFaults();
    return { status: 200, body: { faults: [] } };
  }
  if (method !== 'POST') return fail(405, 'use GET, POST or DELETE');
  const body = parseJson(raw);
  if (!body) return fail(400, 'body must be a JSON object');
  const fault = body as KeyVaultFault;
  const problem = validateFault(fault);
  if (problem) return fail(400, problem);
  const unknown = fault.vaults?.find((v) => !target.hasVault(v.toLowerCase()));
  if (unknown !== undefined) return fail(404, `unknown vault ${unknown}`);
  target.inject(fault);
  return { status: 200, body: { faults: target.faults() } };
}
