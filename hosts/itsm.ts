// ITSM wiring for a host: the inbound profiles (from configured trust), keysteward's own ServiceNow / Jira
// connections, the request store, outbox and incident-ticket index (Table Storage), the request queue and (with a
// worker) its worker, and the incident channel when the estate asks for tickets (`notifications.itsm`).
import type { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import { z } from 'zod';
import { acceptItsmWebhook, type AcceptResult, type InboundHttp } from '../app/itsm/accept.js';
import { advanceItsmRequest, type ItsmRotations } from '../app/itsm/advance.js';
import { observedTicketSystem, type TicketSystemHealth } from '../app/itsm/health.js';
import { createIncidentTicketChannel } from '../app/itsm/incidentTickets.js';
import { itsmTick, type ItsmTickResult } from '../app/itsm/reconcile.js';
import type { InboundAuth, TicketSystem } from '../app/itsm/ports.js';
import type { Clock, Logger, Notifier } from '../app/ports.js';
import { createJiraTickets } from '../adapters/jira/tickets.js';
import { createItsmQueue, startItsmWorker } from '../adapters/queue/itsmQueue.js';
import { createServiceNowTickets } from '../adapters/servicenow/tickets.js';
import type { TableConnection } from '../adapters/tables/connection.js';
import { TableIncidentTicketIndex } from '../adapters/tables/incidentTickets.js';
import { TableItsmOutbox } from '../adapters/tables/itsmOutbox.js';
import { TableItsmRequestStore } from '../adapters/tables/itsmRequests.js';
import { jiraWebhookAuth, jsmAutomationAuth, parseExpiringSecrets, standardWebhooksAuth } from '../adapters/webhook/itsmAuth.js';
import type { EstateSource } from '../app/estateSource.js';
import type { ItsmProfile, ItsmRequest, ItsmSystem } from '../domain/itsm/request.js';
import { parseInstant } from '../domain/time.js';
import { ConfigError, type Config } from './config.js';
import { RedisClaimClock } from '../adapters/redis/claimClock.js';

/** Estate `notifications.itsm`: incidents open tickets in this system (optional). */
const notificationsSchema = z.object({
  itsm: z
    .strictObject({
      system: z.enum(['servicenow', 'jira']),
      /** Jira: the project incident issues go to, and their issue type (default Incident). */
      project: z.string().regex(/^[A-Z][A-Z0-9_]{0,49}$/).optional(),
      issueType: z.string().min(1).optional(),
      /** ServiceNow: the incident's assignment group (sys_id) and category. */
      assignmentGroup: z.string().min(1).optional(),
      category: z.string().min(1).optional(),
    })
    .optional(),
});

export interface ItsmServices {
  /** Profiles served (their trust is configured). */
  readonly profiles: readonly ItsmProfile[];
  receive(input: InboundHttp): Promise<AcceptResult>;
  get(id: string): Promise<ItsmRequest | null>;
  /** Requests not yet in a terminal state (the operator console). */
  listOpen(): Promise<ItsmRequest[]>;
  /** The ITSM timer: open requests queued, the outbox carried. */
  tick(): Promise<ItsmTickResult>;
  /** The alert channel for incident tickets, when the estate asks for them. */
  readonly incidentChannel: Notifier | null;
  health(): Promise<Record<string, { status: 'up' | 'degraded' | 'disabled'; detail?: string }>>;
  close(): Promise<void>;
}

function secrets(name: string, value: string | undefined): ReturnType<typeof parseExpiringSecrets> {
  if (value === undefined) return [];
  try {
    return parseExpiringSecrets(value, parseInstant);
  } catch (err) {
    throw new ConfigError(`${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function ciMap(text: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = pair.lastIndexOf('=');
    if (eq <= 0) throw new ConfigError('SERVICENOW_CI_MAP: each entry is <CI name>=<protector id>');
    map.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return map;
}

export function createItsmServices(input: {
  config: Config;
  tables: TableConnection;
  estates: EstateSource;
  redis: Redis;
  clock: Clock;
  log: Logger;
  rotations: ItsmRotations;
  worker: boolean;
}): ItsmServices {
  const { config, clock, log } = input;
  // Notifications come from the file alone (the overlay changes roles and principal ids only): checked once, here.
  const notifications = notificationsSchema.safeParse(input.estates.current().estate.notifications);
  if (!notifications.success) throw new ConfigError(`estate notifications.itsm: ${notifications.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const outbound = notifications.data.itsm;

  const auth: Partial<Record<ItsmProfile, InboundAuth>> = {};
  const standard = secrets('ITSM_STANDARD_SECRETS', config.ITSM_STANDARD_SECRETS);
  if (standard.length > 0) auth.standard = standardWebhooksAuth(standard);
  const jira = secrets('ITSM_JIRA_SECRETS', config.ITSM_JIRA_SECRETS);
  if (jira.length > 0) auth.jira = jiraWebhookAuth(jira);
  const jsm = secrets('ITSM_JSM_TOKENS', config.ITSM_JSM_TOKENS);
  if (jsm.length > 0) auth['jsm-automation'] = jsmAutomationAuth(jsm);

  const systems = new Map<ItsmSystem, { tickets: TicketSystem; health(): TicketSystemHealth }>();
  if (config.SERVICENOW_URL) {
    const credentials =
      config.SERVICENOW_CLIENT_ID && config.SERVICENOW_CLIENT_SECRET
        ? { kind: 'oauth' as const, clientId: config.SERVICENOW_CLIENT_ID, clientSecret: config.SERVICENOW_CLIENT_SECRET }
        : { kind: 'basic' as const, username: config.SERVICENOW_USERNAME ?? '', password: config.SERVICENOW_PASSWORD ?? '' };
    const incident = outbound?.system === 'servicenow' ? { ...(outbound.assignmentGroup ? { assignmentGroup: outbound.assignmentGroup } : {}), ...(outbound.category ? { category: outbound.category } : {}) } : undefined;
    systems.set(
      'servicenow',
      observedTicketSystem(
        createServiceNowTickets({ url: config.SERVICENOW_URL, credentials, protectorField: config.SERVICENOW_PROTECTOR_FIELD, ciMap: ciMap(config.SERVICENOW_CI_MAP), implementStates: config.SERVICENOW_IMPLEMENT_STATES, ...(incident ? { incident } : {}) }),
        clock.now,
      ),
    );
  }
  if (config.JIRA_URL && config.JIRA_EMAIL && config.JIRA_API_TOKEN && config.JIRA_PROTECTOR_FIELD && config.JIRA_WINDOW_START_FIELD && config.JIRA_WINDOW_END_FIELD) {
    if (outbound?.system === 'jira' && !outbound.project) throw new ConfigError('estate notifications.itsm: a Jira incident project is required (project)');
    const incident = outbound?.system === 'jira' && outbound.project ? { project: outbound.project, ...(outbound.issueType ? { issueType: outbound.issueType } : {}) } : undefined;
    systems.set(
      'jira',
      observedTicketSystem(
        createJiraTickets({
          url: config.JIRA_URL,
          email: config.JIRA_EMAIL,
          apiToken: config.JIRA_API_TOKEN,
          protectorField: config.JIRA_PROTECTOR_FIELD,
          windowStartField: config.JIRA_WINDOW_START_FIELD,
          windowEndField: config.JIRA_WINDOW_END_FIELD,
          implementStatuses: config.JIRA_IMPLEMENT_STATUSES,
          ...(incident ? { incident } : {}),
        }),
        clock.now,
      ),
    );
  }
  if (outbound && !systems.has(outbound.system)) throw new ConfigError(`estate notifications.itsm names ${outbound.system}, but no ${outbound.system === 'jira' ? 'JIRA_URL' : 'SERVICENOW_URL'} connection is configured`);
  const tickets = (system: ItsmSystem): TicketSystem | null => systems.get(system)?.tickets ?? null;

  const store = new TableItsmRequestStore(input.tables);
  const outbox = new TableItsmOutbox(input.tables);
  // Outbox leases are judged on Redis's clock (skewed hosts agree); without Redis, on this host's.
  const leaseClock = new RedisClaimClock(input.redis, { timeoutMs: 1000 });
  const incidents = new TableIncidentTicketIndex(input.tables);
  const prefix = `${config.REDIS_KEY_PREFIX}bull`;
  const queue = createItsmQueue({ connection: input.redis, prefix });
  const advance = (id: string) =>
    advanceItsmRequest(
      { store, outbox, tickets, rotations: input.rotations, protectors: { has: (id) => input.estates.current().estate.protectors.some((p) => p.id === id) }, clock, log, recheckMs: config.ITSM_RECHECK_SECONDS * 1000, progressMs: config.ITSM_PROGRESS_SECONDS * 1000 },
      id,
    );
  const worker: Worker | null = input.worker ? startItsmWorker(advance, log, { connection: input.redis, prefix }) : null;
  const inbound = { standardSystem: config.ITSM_STANDARD_SYSTEM, jiraProtectorField: config.JIRA_PROTECTOR_FIELD ?? null };

  return {
    profiles: Object.keys(auth) as ItsmProfile[],
    receive: (http) => acceptItsmWebhook({ store, queue, outbox, auth, inbound, clock, log }, http),
    get: async (id) => (/^itsm-[a-z0-9-]{1,80}$/.test(id) ? ((await store.get(id))?.request ?? null) : null),
    listOpen: () => store.listOpen(),
    tick: () => itsmTick({ store, queue, outbox, tickets, incidents, clock, leaseClock, log }),
    incidentChannel: outbound ? createIncidentTicketChannel({ outbox, system: outbound.system }) : null,
    async health() {
      const out: Record<string, { status: 'up' | 'degraded' | 'disabled'; detail?: string }> = {};
      const backlog = await outbox.backlog().catch(() => null);
      const queued = backlog ? `${backlog.pending} write-back(s) waiting${backlog.oldest ? ` since ${backlog.oldest}` : ''}${backlog.failed ? `, ${backlog.failed} given up` : ''}` : 'outbox unreadable';
      for (const system of ['servicenow', 'jira'] as const) {
        const s = systems.get(system);
        if (!s) {
          out[system] = { status: 'disabled' };
          continue;
        }
        const h = s.health();
        const failing = h.lastErrorAt !== null && (h.lastOkAt === null || h.lastErrorAt > h.lastOkAt);
        // Degraded, not down: an ITSM outage delays write-backs and approvals, it does not stop keysteward.
        out[system] = failing
          ? { status: 'degraded', detail: `last call failed ${new Date(h.lastErrorAt ?? 0).toISOString()}: ${h.lastError ?? ''}; ${queued}${backlog?.lastError ? `; last write-back error: ${backlog.lastError}` : ''}` }
          : { status: 'up', detail: `${h.lastOkAt ? `last call ok ${new Date(h.lastOkAt).toISOString()}` : 'not called yet'}; ${queued}` };
      }
      out['itsmWebhooks'] = Object.keys(auth).length > 0 ? { status: 'up', detail: `profiles: ${Object.keys(auth).join(', ')}` } : { status: 'disabled' };
      return out;
    },
    close: async () => {
      await worker?.close();
      await queue.close();
    },
  };
}
