// Runtime configuration from environment variables, validated once at start-up with zod. An invalid setting
// stops the process with a message naming the variable. Documented in README.md and local.settings.sample.json.
import { z } from 'zod';
import type { Estate } from '../domain/estate/model.js';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const positiveInt = z.coerce.number().int().positive();
const httpUrl = z.url({ protocol: /^https?$/, message: 'an http(s) URL' });
const csv = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** `azure`: DefaultAzureCredential / managed identity. `local`: the project's emulators (npm start, tests). */
const mode = z.enum(['azure', 'local']).default('azure');

// Observability (adapters/telemetry/setup.ts, README "Observability"): Application Insights when its connection string
// is set, else OTLP/HTTP when an endpoint is, else nothing is exported.
const telemetryFields = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().includes('InstrumentationKey=', { message: 'an Application Insights connection string (InstrumentationKey=…;IngestionEndpoint=…)' }).optional(),
  /** OTLP/HTTP base URL, e.g. http://otel-collector:4318 (traces to /v1/traces, metrics to /v1/metrics). */
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: httpUrl.optional(),
  /** Milliseconds between metric exports (the OpenTelemetry default). */
  OTEL_METRIC_EXPORT_INTERVAL: positiveInt.default(60_000),
};

/**
 * The telemetry settings alone, for a process that must start telemetry before its full configuration exists (`npm
 * start`: the local stack's settings are known only once its emulators run, and the gauges it registers need the
 * meter provider first). Throws on an invalid value, as loadConfig would.
 */
export function loadTelemetrySettings(env: NodeJS.ProcessEnv): z.infer<z.ZodObject<typeof telemetryFields>> {
  return z.object(telemetryFields).parse(env);
}
/** Azure Resource Manager endpoint (the ARM emulator locally; a sovereign cloud's). */
const armEndpoint = z.url().default('https://management.azure.com');
/**
 * Overrides every vault's data-plane URL (`{vault}` is replaced by its name): the local emulators, a private
 * DNS name.
 */
const vaultUrlTemplate = z.string().includes('{vault}').optional();

export const configSchema = z
  .object({
    KEYSTEWARD_ESTATE: z.string().min(1, 'path of the estate file (JSON or YAML)'),
    KEYSTEWARD_MODE: mode,
    /** 0 picks a free port (tests). */
    PORT: z.coerce.number().int().min(0).max(65535).default(7071),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    STORAGE_CONNECTION_STRING: z.string().min(1).optional(),
    STORAGE_ACCOUNT_URL: z.url().optional(),
    TABLE_ACCOUNT_URL: z.url().optional(),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be redis:// or rediss://').default('redis://127.0.0.1:6379'),
    /** Namespace of every Redis key: deployments sharing one Redis must not share send budgets or leases. */
    REDIS_KEY_PREFIX: z.string().regex(/^[\w.-]+:$/, 'letters, digits, dot, dash, ending in ":"').default('keysteward:'),
    ACS_CONNECTION_STRING: z.string().min(1).optional(),
    ACS_ENDPOINT: z.url().optional(),
    ALERT_SENDER: z.string().min(3).default('DoNotReply@keysteward.local'),
    ALERT_TO: csv.optional(),
    ALERT_WEBHOOK_URL: z.url().optional(),
    ALERT_WEBHOOK_SECRET: z.string().min(16).optional(),
    EMAIL_RATE_PER_MINUTE: positiveInt.default(30),
    EMAIL_RATE_PER_HOUR: positiveInt.default(100),
    ESCALATE_BEFORE_MINUTES: positiveInt.default(10),
    LOG_ANALYTICS_WORKSPACE_ID: z.string().min(1).optional(),
    LOG_ANALYTICS_ENDPOINT: z.url().optional(),
    RECONCILE_LOOKBACK_MINUTES: positiveInt.default(60),
    /** Unset, each vault's estate `uri` is used (default https://<name>.vault.azure.net/). */
    KEYVAULT_URL_TEMPLATE: vaultUrlTemplate,
    /** Event Hubs: a connection string, or a namespace (identity-based). Absent: no Event Hubs consumer. */
    EVENTHUB_CONNECTION_STRING: z.string().min(1).optional(),
    EVENTHUB_NAMESPACE: z.string().min(1).optional(),
    KV_AUDIT_EVENTHUB: z.string().default('insights-logs-auditevent'),
    ACTIVITY_EVENTHUB: z.string().default('insights-activity-logs'),
    EVENTHUB_CONSUMER_GROUP: z.string().default('$Default'),
    CHECKPOINT_CONTAINER: z.string().default('keysteward-checkpoints'),
    SWEEP_SCHEDULE: z.string().default('*/30 * * * * *'),
    /** After this long a sweep starts no new protector and the next one resumes where it stopped (keep it under the schedule). */
    SWEEP_BUDGET_MS: positiveInt.default(20_000),
    /** Protectors a sweep judges at once. */
    SWEEP_CONCURRENCY: positiveInt.default(16),
    RECONCILE_SCHEDULE: z.string().default('0 */5 * * * *'),
    // Estate discovery in the service (issue 8): the estate in use is the file plus the discovered overlay.
    /** Off: no discovery runs and the estate in use is the file alone. */
    DISCOVERY_ENABLED: bool.default(true),
    /** Full re-discovery of the watched subscriptions (activity-log events trigger targeted runs in between). */
    DISCOVERY_SCHEDULE: z.string().default('0 0 * * * *'),
    /** How often an instance checks the shared discovery record for a new overlay. */
    DISCOVERY_POLL_SECONDS: positiveInt.default(30),
    /** Topology changes collected this long after the first before one targeted re-discovery reads them. */
    DISCOVERY_DEBOUNCE_SECONDS: positiveInt.default(15),
    /** Subscriptions discovery watches; default those of the estate's members and vaults. */
    DISCOVERY_SUBSCRIPTIONS: csv.optional(),
    EVENTGRID_KEY: z.string().min(16).optional(),
    /** Required by every route but health and Event Grid (header x-api-key or Authorization: Bearer). */
    API_KEY: z.string().min(16).optional(),
    /**
     * How the Function App authenticates the operator console: `function-key` (the function key, like the API), or
     * `app-service` — the console routes are anonymous to the Functions host and each request must carry the
     * `x-ms-client-principal-id` header that App Service Authentication (Easy Auth) sets after signing the user in.
     * Only with Easy Auth enabled and requiring sign-in: it strips that header from what clients send.
     */
    CONSOLE_AUTH: z.enum(['function-key', 'app-service']).default('function-key'),
    /** For the SQL protector switch. */
    ARM_ENDPOINT: armEndpoint,
    /** Run the BullMQ rotation worker in this process (the standalone host; a Function App does not). */
    ROTATION_WORKER: bool.default(true),
    ROTATION_LOCK_MS: positiveInt.default(30_000),
    /** Rotation step jobs one worker process runs at once (steps mostly wait on Key Vault, ARM and Table Storage). */
    ROTATION_CONCURRENCY: positiveInt.default(4),
    ROTATION_SCHEDULE: z.string().default('0 0 * * * *'),
    /**
     * Key Vault budget units per second one rewrap campaign may spend on a vault (1 unit = one software RSA-2048
     * operation; the vault's ceiling is 400/s, limits.md K1). Default 80: a fifth, leaving the rest to the SQL servers
     * and Cosmos accounts that unwrap with the same key (reliability.md K12: background work ≤ 20%).
     */
    REWRAP_VAULT_UNITS_PER_SEC: positiveInt.default(80),
    /** Client encryption keys / DEKs a rewrap campaign works on at once. */
    REWRAP_CONCURRENCY: positiveInt.default(8),
    KEYSTEWARD_CHECK_NOEVICTION: bool.default(true),
    // ITSM (DESIGN.md §4.6). Inbound profiles are served only when their trust is configured: comma-separated
    // secrets / tokens, each optionally `@<ISO instant>` (its not-after, for a rotation of the secret).
    /** Standard Webhooks secrets (`whsec_<base64>`), e.g. the ServiceNow business-rule script's. */
    ITSM_STANDARD_SECRETS: z.string().min(1).optional(),
    /** Which ITSM system the standard profile's tickets are checked against. */
    ITSM_STANDARD_SYSTEM: z.enum(['servicenow', 'jira']).default('servicenow'),
    /** Jira admin webhook secrets (X-Hub-Signature). */
    ITSM_JIRA_SECRETS: z.string().min(1).optional(),
    /** JSM automation bearer tokens (lower assurance). */
    ITSM_JSM_TOKENS: z.string().min(1).optional(),
    ITSM_SCHEDULE: z.string().default('*/15 * * * * *'),
    /** How often a pending request reads its ticket again. */
    ITSM_RECHECK_SECONDS: positiveInt.default(60),
    ITSM_PROGRESS_SECONDS: positiveInt.default(5),
    /** keysteward's own ServiceNow credentials: Basic (username + password) or OAuth client credentials. */
    SERVICENOW_URL: z.url().optional(),
    SERVICENOW_USERNAME: z.string().min(1).optional(),
    SERVICENOW_PASSWORD: z.string().min(1).optional(),
    SERVICENOW_CLIENT_ID: z.string().min(1).optional(),
    SERVICENOW_CLIENT_SECRET: z.string().min(1).optional(),
    SERVICENOW_PROTECTOR_FIELD: z.string().regex(/^[a-z_][a-z0-9_]{0,79}$/, 'a change_request field name').default('u_keysteward_protector'),
    /** With SERVICENOW_PROTECTOR_FIELD=cmdb_ci: `<CI name>=<protector id>,…` */
    SERVICENOW_CI_MAP: z.string().optional(),
    SERVICENOW_IMPLEMENT_STATES: csv.default(['-2', '-1']),
    /** keysteward's own Jira credentials (an API token of a service account) and the change fields it reads. */
    JIRA_URL: z.url().optional(),
    JIRA_EMAIL: z.string().min(3).optional(),
    JIRA_API_TOKEN: z.string().min(1).optional(),
    JIRA_PROTECTOR_FIELD: z.string().regex(/^customfield_\d+$/, 'a custom field id, e.g. customfield_10050').optional(),
    JIRA_WINDOW_START_FIELD: z.string().regex(/^customfield_\d+$/, 'a custom field id').optional(),
    JIRA_WINDOW_END_FIELD: z.string().regex(/^customfield_\d+$/, 'a custom field id').optional(),
    JIRA_IMPLEMENT_STATUSES: csv.default(['Awaiting implementation', 'Implementing']),
    ...telemetryFields,
  })
  .refine((c) => c.STORAGE_CONNECTION_STRING !== undefined || c.STORAGE_ACCOUNT_URL !== undefined || c.TABLE_ACCOUNT_URL !== undefined, {
    message: 'set STORAGE_CONNECTION_STRING, or STORAGE_ACCOUNT_URL / TABLE_ACCOUNT_URL (managed identity)',
    path: ['STORAGE_CONNECTION_STRING'],
  })
  .refine((c) => !c.SERVICENOW_URL || (c.SERVICENOW_USERNAME !== undefined && c.SERVICENOW_PASSWORD !== undefined) || (c.SERVICENOW_CLIENT_ID !== undefined && c.SERVICENOW_CLIENT_SECRET !== undefined), {
    message: 'SERVICENOW_URL needs SERVICENOW_USERNAME + SERVICENOW_PASSWORD, or SERVICENOW_CLIENT_ID + SERVICENOW_CLIENT_SECRET',
    path: ['SERVICENOW_URL'],
  })
  .refine((c) => !c.JIRA_URL || (c.JIRA_EMAIL && c.JIRA_API_TOKEN && c.JIRA_PROTECTOR_FIELD && c.JIRA_WINDOW_START_FIELD && c.JIRA_WINDOW_END_FIELD), {
    message: 'JIRA_URL needs JIRA_EMAIL, JIRA_API_TOKEN, JIRA_PROTECTOR_FIELD, JIRA_WINDOW_START_FIELD and JIRA_WINDOW_END_FIELD',
    path: ['JIRA_URL'],
  })
  .refine((c) => (c.ALERT_WEBHOOK_URL === undefined) === (c.ALERT_WEBHOOK_SECRET === undefined), {
    message: 'ALERT_WEBHOOK_URL and ALERT_WEBHOOK_SECRET go together',
    path: ['ALERT_WEBHOOK_SECRET'],
  });

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; throws ConfigError naming every bad variable (never echoing a value: some are secrets). */
function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  // An empty setting (as App Service and local.settings.json leave them) means "not set".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`);
  throw new ConfigError(`invalid configuration — ${problems.join('; ')}`);
}

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  return parseEnv(configSchema, env);
}

/** What `keysteward discover` reads from the environment: it needs no estate, store or Redis. */
export const discoveryConfigSchema = z.object({ KEYSTEWARD_MODE: mode, ARM_ENDPOINT: armEndpoint, KEYVAULT_URL_TEMPLATE: vaultUrlTemplate });
export type DiscoveryConfig = z.output<typeof discoveryConfigSchema>;

export function loadDiscoveryConfig(env: NodeJS.ProcessEnv): DiscoveryConfig {
  return parseEnv(discoveryConfigSchema, env);
}

/**
 * A vault's data-plane URL: KEYVAULT_URL_TEMPLATE when set, else the `uri` the estate in use gives it (sovereign clouds,
 * custom names), read at each call.
 */
export function vaultUrlResolver(config: Pick<Config, 'KEYVAULT_URL_TEMPLATE'>, estate: () => Estate): (vault: string) => string {
  const template = config.KEYVAULT_URL_TEMPLATE;
  if (template !== undefined) return (vault) => template.replace('{vault}', vault);
  return (vault) => estate().vaults.get(vault.toLowerCase())?.uri ?? `https://${vault}.vault.azure.net/`;
}
