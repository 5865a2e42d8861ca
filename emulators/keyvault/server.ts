// The HTTPS server: picks the vault from the Host header's first label (`<vault>.vault.localhost`, as in Azure where
// the vault name is the first label of every kid), sends other hosts to the admin API, and wires the per-vault
// pipelines to the shared audit log.
import { readBody } from '../../adapters/http/readBody.js';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import { handleAdmin } from './admin.js';
import { VaultState } from './store.js';
import { resolveLimits } from './throttle.js';
import { InjectedFaults } from './faults.js';
import type { AuditRecord, EmulatedKeyVersion, EmulatedVault, KeyPermission, KeyVaultEmulator, KeyVaultEmulatorOptions, NetworkAcls } from './types.js';
import { VaultService, type VaultResponse } from './vaultService.js';
import { listenOnLoopback } from '../listen.js';

const VAULT_HOST_SUFFIX = '.vault.localhost';
const MAX_BODY = 4 * 1024 * 1024;
const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

export function defaultResourceId(vault: string): string {
  return `/subscriptions/${ZERO_GUID}/resourceGroups/rg-keysteward-local/providers/Microsoft.KeyVault/vaults/${vault}`;
}

function send(res: ServerResponse, r: VaultResponse): void {
  const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
  res.writeHead(r.status, { ...r.headers, ...(payload !== undefined ? { 'Content-Length': String(Buffer.byteLength(payload)) } : { 'Content-Length': '0' }) });
  res.end(payload);
}

const json = (status: number, body: unknown): VaultResponse => ({ status, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body });

/** `TLSv1.3` → `TLS1_3`, the audit record's spelling. */
function tlsVersionOf(req: IncomingMessage): string {
  const p = (req.socket as TLSSocket).getProtocol?.() ?? '';
  return p.replace(/^TLSv/, 'TLS').replace('.', '_');
}

function hostnameOf(host: string): string {
  return host.startsWith('[') ? host.slice(1, host.indexOf(']')) : (host.split(':')[0] ?? '');
}

export async function startKeyVaultEmulator(o: KeyVaultEmulatorOptions): Promise<KeyVaultEmulator> {
  const clock = o.clock ?? Date.now;
  const limits = resolveLimits(o.limits);
  const log: AuditRecord[] = [];
  const trusted = new Map<string, string>();
  let port = 0;
  const services = new Map<string, VaultService>();
  const faults = new InjectedFaults(clock);

  const record = (r: AuditRecord): void => {
    log.push(r);
    try {
      o.onAudit?.(r);
    } catch {
      // A failing observer must not fail the request it observes.
    }
  };

  for (const v of o.vaults) {
    const name = v.name.toLowerCase();
    if (services.has(name)) throw new Error(`vault ${name} is configured twice`);
    const state = new VaultState(configOf(v, name), () => `https://${name}${VAULT_HOST_SUFFIX}:${port}`);
    services.set(
      name,
      new VaultService(state, {
        tenantId: o.tenantId ?? ZERO_GUID,
        limits,
        clock,
        newVersionId: o.newVersionId ?? (() => randomBytes(16).toString('hex')),
        trustedServiceOf: (oid) => trusted.get(oid.toLowerCase()),
        record,
        faults,
      }),
    );
  }

  const serviceOf = (vault: string): VaultService => {
    const s = services.get(vault.toLowerCase());
    if (!s) throw new Error(`unknown vault ${vault}`);
    return s;
  };

  const api: KeyVaultEmulator = {
    get port() {
      return port;
    },
    vaultUrl: (vault) => `https://${serviceOf(vault).state.config.name}${VAULT_HOST_SUFFIX}:${port}/`,
    grant: (vault, oid, permissions: readonly KeyPermission[] | 'all') => serviceOf(vault).access.grant(oid, permissions),
    revoke: (vault, oid, permissions) => serviceOf(vault).access.revoke(oid, permissions),
    setNetworkAcls: (vault, acls: NetworkAcls | null) => {
      serviceOf(vault).state.config.networkAcls = acls;
    },
    setTrustedService: (oid, service) => {
      trusted.set(oid.toLowerCase(), service);
    },
    auditLog: () => log,
    inject: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    keyVersions: (vault, key) => {
      const state = serviceOf(vault).state;
      const stored = state.key(key) ?? state.deleted.get(key.toLowerCase())?.key;
      return (stored?.versions ?? []).map((v): EmulatedKeyVersion => {
        const jwk = v.material.privateKey.export({ format: 'jwk' });
        const privateParts: Record<string, string> = {};
        for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) if (typeof jwk[m] === 'string') privateParts[m] = jwk[m];
        return { version: v.version, kid: state.kid(stored?.name ?? key, v.version), enabled: v.enabled, created: v.created, tags: { ...v.tags }, n: v.material.n, e: v.material.e, privateParts };
      });
    },
    close: () => close(server),
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const startedAt = performance.now();
    const host = req.headers.host ?? '';
    const hostname = hostnameOf(host).toLowerCase();
    const body = await readBody(req, MAX_BODY);
    if (body === null) return send(res, json(413, { error: { code: 'BadParameter', message: 'The request body is too large.' } }));
    if (!hostname.endsWith(VAULT_HOST_SUFFIX)) {
      const url = new URL(req.url ?? '/', 'https://localhost');
      return send(res, json(...toPair(handleAdmin(req.method ?? 'GET', url, body, { ...api, hasVault: (v) => services.has(v), faults: () => faults.list() }))));
    }
    const service = services.get(hostname.slice(0, -VAULT_HOST_SUFFIX.length));
    // In Azure an unknown vault name does not resolve at all; here the host resolves, so say so plainly. No vault, no audit log.
    if (!service) return send(res, json(404, { error: { code: 'VaultNotFound', message: `No emulated vault answers at ${hostname}.` } }));
    const ua = req.headers['user-agent'];
    const crid = req.headers['x-ms-client-request-id'];
    send(
      res,
      await service.handle({
        method: req.method ?? 'GET',
        host,
        rawUrl: req.url ?? '/',
        authorization: req.headers.authorization,
        userAgent: typeof ua === 'string' ? ua : '',
        clientRequestId: typeof crid === 'string' ? crid : undefined,
        callerIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
        tlsVersion: tlsVersionOf(req),
        body,
        startedAt,
      }),
    );
  };

  const server = createServer({ cert: o.tls.cert, key: o.tls.key }, (req, res) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) send(res, json(500, { error: { code: 'InternalServerError', message: 'The Key Vault emulator failed.' } }));
      else res.destroy();
    });
  });
  port = await listenOnLoopback(server, o.port);
  return api;
}

function toPair(r: { status: number; body: unknown }): [number, unknown] {
  return [r.status, r.body];
}

function configOf(v: EmulatedVault, name: string) {
  return {
    name,
    region: v.region ?? 'eastus',
    resourceId: v.resourceId ?? defaultResourceId(name),
    softDelete: v.softDelete ?? true,
    purgeProtection: v.purgeProtection ?? true,
    rbac: v.rbac ?? true,
    networkAcls: v.networkAcls ?? null,
  };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // SDK clients keep connections alive (localNetwork's agent): drop them so close() does not wait for their timeout.
    server.closeAllConnections();
  });
}
