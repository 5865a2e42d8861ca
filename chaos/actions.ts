// What the phases do to keysteward, each as its real sender would, with every acknowledgement recorded in the history:
// rotation and rewrap requests (an operator re-sending what got no answer), ServiceNow changes and their signed
// webhooks (the change owner re-sending with the same webhook-id), Event Grid deliveries (retried until acknowledged),
// retirement attempts, and an operator's new key version.
import { KeyClient } from '@azure/keyvault-keys';
import { LocalEmulatorCredential } from '../adapters/azure/localCredential.js';
import { localPolicies } from '../adapters/azure/localNetwork.js';
import { TableRotationLedger } from '../adapters/tables/rotationLedger.js';
import { LOCAL_ADMIN } from '../hosts/local/seed.js';
import { serviceNowDate } from '../hosts/local/itsm.js';
import { LOCAL_ITSM } from '../hosts/local/itsmSecrets.js';
import type { RotationRun } from '../domain/rotation/run.js';
import { deliverEventGrid, resend, sleep, type HostClient, type Reply } from './api.js';
import type { History } from './history.js';
import type { Host, Rig } from './rig.js';

export interface Actions {
  /** POST a rotation until it is accepted (a 409 waits for the running one); the run id, or why it never was. */
  rotate(host: Host, protector: string, phase: string, opts?: { maxWaitMs?: number }): Promise<string | null>;
  /** Why the last request that was never accepted was refused (for the phase's detail). */
  lastRefusal(): string | null;
  /** An operator's new version of the protector key (Key Vault's own rotate), for a rewrap campaign to move onto. */
  newVersion(vault: string, key: string): Promise<string>;
  rewrap(host: Host, protector: string, toVersion: string, phase: string): Promise<string | null>;
  /** A new approved ServiceNow change for `protector`, window open: its number. */
  change(protector: string): string;
  /** The change's webhook sent to `hosts` (all at once when several), re-sent until each answers 2xx; the request ids. */
  itsm(hosts: readonly Host[], change: string, protector: string, phase: string): Promise<string[]>;
  /** Event Grid deliveries of these envelopes to `targets()`, `parallel` at a time; returns how many were acknowledged. */
  deliver(phase: string, targets: () => readonly string[], envelopes: ReadonlyArray<{ records: unknown[] }>, opts?: { parallel?: number; maxAttempts?: number; paceMs?: number; onAck?: (n: number) => void; inFlight?: (n: number) => void }): Promise<number>;
  /** POST .../disable of a version that is still needed: recorded whatever the answer. */
  retire(host: Host, protector: string, vault: string, version: string, phase: string): Promise<Reply>;
  /** The run as the ledger holds it (read directly from Table Storage). */
  run(id: string): Promise<RotationRun | null>;
  /** Waits until the run ends (or `timeoutMs`); its last state. */
  waitForRun(id: string, timeoutMs: number): Promise<RotationRun | null>;
}

export function createActions(rig: Rig, history: History): Actions {
  const ledger = new TableRotationLedger({ connectionString: rig.parts.env['STORAGE_CONNECTION_STRING'] ?? '' });
  let changes = 0;
  let refusal: string | null = null;
  const admin = (vault: string) => new KeyClient(rig.parts.kv.vaultUrl(vault), new LocalEmulatorCredential(LOCAL_ADMIN), { additionalPolicies: localPolicies() });
  const idOf = (r: Reply): string | null => {
    const id = (r.body as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : null;
  };
  const readRun = async (id: string): Promise<RotationRun | null> => {
    try {
      return (await ledger.get(id))?.run ?? null;
    } catch {
      return null; // Table Storage restarting: the caller asks again
    }
  };

  return {
    async rotate(host, protector, phase, opts = {}) {
      const until = Date.now() + (opts.maxWaitMs ?? 60_000);
      for (;;) {
        const r = await resend(() => host.api.post(`/api/protectors/${protector}/rotations`, { requestedBy: `chaos-${phase}` }), { maxAttempts: 20, backoffMs: 300 });
        const id = idOf(r);
        if (r.status === 202 && id) {
          history.request({ kind: 'rotation', id, key: id, phase, protector });
          return id;
        }
        if (r.status !== 409 || Date.now() > until) {
          refusal = `rotation of ${protector}: ${r.status === 0 ? `no answer (${r.error ?? '?'})` : r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
          return null;
        }
        await sleep(500);
      }
    },
    async newVersion(vault, key) {
      const created = await admin(vault).rotateKey(key);
      return created.properties.version ?? '';
    },
    async rewrap(host, protector, toVersion, phase) {
      const r = await resend(() => host.api.post(`/api/protectors/${protector}/rewraps`, { toVersion }), { maxAttempts: 20, backoffMs: 300 });
      const id = (r.body as { request?: { id?: unknown } } | null)?.request?.id;
      if (r.status === 202 && typeof id === 'string') {
        history.request({ kind: 'rewrap', id, key: id, phase, protector });
        return id;
      }
      return null;
    },
    change(protector) {
      const hour = 3_600_000;
      const number = `CHG00${40_001 + changes++}`;
      rig.parts.itsm.servicenow.createChange({
        number,
        short_description: `chaos: rotate ${protector}`,
        approval: 'approved',
        state: '-1',
        start_date: serviceNowDate(Date.now() - hour),
        end_date: serviceNowDate(Date.now() + 4 * hour),
        u_keysteward_protector: protector,
      });
      return number;
    },
    async itsm(hosts, change, protector, phase) {
      const webhookId = `snow-${change}-rotate-chaos`;
      const sent = await Promise.all(
        hosts.map((host) =>
          resend(
            async () => {
              const r = await rig.parts.itsm.servicenow.sendRotationRequest({ url: `${host.url}/api/itsm/standard`, secret: LOCAL_ITSM.standardSecret, change, protector, webhookId });
              if (!('status' in r)) return { status: 0, body: null, error: r.error };
              let body: unknown = null;
              try {
                body = JSON.parse(r.body) as unknown;
              } catch {
                body = r.body;
              }
              return { status: r.status, body };
            },
            { maxAttempts: 40, backoffMs: 300 },
          ),
        ),
      );
      const ids = sent.map(idOf).filter((id): id is string => id !== null);
      for (const id of ids) history.request({ kind: 'itsm', id, key: webhookId, phase, protector });
      return ids;
    },
    async deliver(phase, targets, list, opts = {}) {
      let next = 0;
      let acked = 0;
      let inFlight = 0;
      const lane = async (): Promise<void> => {
        while (next < list.length) {
          const envelope = list[next++] as { records: unknown[] };
          inFlight++;
          opts.inFlight?.(inFlight);
          const d = await deliverEventGrid(targets, rig.eventGridKey, JSON.stringify(envelope), { maxAttempts: opts.maxAttempts ?? 40, backoffMs: 150 });
          inFlight--;
          opts.inFlight?.(inFlight);
          if (d.acknowledged) {
            acked++;
            history.delivery({ phase, via: 'eventgrid', records: envelope.records });
            opts.onAck?.(acked);
          } else history.unacknowledged++;
          if (opts.paceMs) await sleep(opts.paceMs);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, opts.parallel ?? 1) }, () => lane()));
      return acked;
    },
    async retire(host, protector, vault, version, phase) {
      const r = await resend(() => host.api.post(`/api/protectors/${protector}/versions/${vault}/${version}/disable`, {}), { maxAttempts: 10, backoffMs: 300 });
      history.retires.push({ phase, protector, vault, version, status: r.status });
      return r;
    },
    lastRefusal: () => refusal,
    run: readRun,
    async waitForRun(id, timeoutMs) {
      const until = Date.now() + timeoutMs;
      let run = await readRun(id);
      while ((run === null || run.status === 'running') && Date.now() < until) {
        await sleep(250);
        run = (await readRun(id)) ?? run;
      }
      return run;
    },
  };
}

/** The API of any host still answering (the first), for reads at the end. */
export function anyApi(rig: Rig): HostClient {
  const host = [...rig.hosts.values()].find((h) => !h.current.process.exited()) ?? [...rig.hosts.values()][0];
  if (!host) throw new Error('no host');
  return host.api;
}
