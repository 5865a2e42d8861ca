// deploy/ against README "Deploying to Azure" and against the code: the role assignments are exactly the README's
// least-privilege table (both ways), no broad role is ever granted, and the resources and settings are what the
// service needs (Redis noeviction, the two hubs and their consumer group, AuditEvent and activity-log diagnostic
// settings, a Node 20 Linux Function App, settings that pass the service's own configuration schema).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../../hosts/config.js';
import { functionsConfigOf } from '../../hosts/composition.js';
import { normaliseEventGridEvent } from '../../domain/normalise/index.js';
import { at, parseBicep, stripComments, text, type BicepFile, type BicepValue } from './bicepSubset.js';
import {
  declaration,
  difference,
  FORBIDDEN_ROLES,
  grantKey,
  readmeCustomRoles,
  readmeGrants,
  readTemplate,
  settingsOf,
  type Setting,
  type Template,
} from './deployModel.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const template = readTemplate(root);
const core = template.files.get('modules/core.bicep');

/** Template grants vs README rows, as readable lines; empty both ways when they agree. */
function drift(t: Template, md: string): { onlyTemplate: string[]; onlyReadme: string[] } {
  const d = difference(t.grants.map(grantKey), readmeGrants(md).map(grantKey));
  return { onlyTemplate: d.onlyLeft, onlyReadme: d.onlyRight };
}

describe('role assignments: deploy/ and the README least-privilege table', () => {
  it('grant exactly the same (identity, role, scope) rows, both ways', () => {
    expect(template.grants.length).toBeGreaterThanOrEqual(15);
    expect(drift(template, readme)).toEqual({ onlyTemplate: [], onlyReadme: [] });
  });

  it('list each row once in the README', () => {
    const keys = readmeGrants(readme).map(grantKey);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it('use only the two identities, and the worker is the only one that can change keys or protectors', () => {
    expect(new Set(template.grants.map((g) => g.identity))).toEqual(new Set(['function', 'worker']));
    const writers = template.grants.filter((g) => /Rotator|Protector Switch/.test(g.role));
    expect(writers.length).toBeGreaterThan(0);
    expect(writers.every((g) => g.identity === 'worker')).toBe(true);
  });

  it('define custom roles exactly as the README lists them, with no wildcard, delete, purge, key read or role write', () => {
    const md = readmeCustomRoles(readme);
    expect(new Set(md.keys())).toEqual(new Set(template.customRoles.map((r) => r.roleName)));
    for (const role of template.customRoles) {
      expect({ role: role.roleName, permissions: [...role.permissions].sort() }).toEqual({ role: role.roleName, permissions: [...(md.get(role.roleName) ?? [])].sort() });
      for (const p of role.permissions) {
        expect(p, `${role.roleName}: ${p}`).not.toMatch(/\*|\/delete$|purge|listKeys|regenerateKey|Microsoft\.Authorization\/|backup|restore|release|secrets\//i);
      }
    }
    // Every custom role is used, and only through customRoleIds (so the test sees every assignment of it).
    for (const role of template.customRoles) expect(template.grants.some((g) => g.role === role.roleName), role.roleName).toBe(true);
  });

  it('never name a broad role: not by GUID in deploy/, not by name in the README table', () => {
    for (const [file, src] of template.sources) {
      for (const [guid, name] of Object.entries(FORBIDDEN_ROLES)) expect(src.toLowerCase().includes(guid), `${file} grants ${name}`).toBe(false);
    }
    // Every role assignment and role definition in the sources is one the reader saw (none hides from the comparison).
    const all = [...template.sources.values()].map(stripComments).join('\n');
    expect(all.match(/roleAssignments@/gi)?.length).toBe(template.grants.length);
    expect(all.match(/roleDefinitions@/gi)?.length).toBe(template.customRoles.length);
    const names = new Set(Object.values(FORBIDDEN_ROLES));
    expect(readmeGrants(readme).filter((g) => names.has(g.role))).toEqual([]);
  });
});

describe('the drift check catches what it is for', () => {
  const withCore = (edit: (src: string) => string): Template => readTemplate(root, new Map([['modules/core.bicep', edit(template.sources.get('modules/core.bicep') ?? '')]]));
  const assignment = (symbol: string, guid: string, scope: string, principal: string): string =>
    `\nresource ${symbol} 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n  name: guid('x')\n  scope: ${scope}\n  properties: {\n    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${guid}')\n    principalId: principals.${principal}\n    principalType: 'ServicePrincipal'\n  }\n}\n`;

  it('a broad role added to the template is refused outright', () => {
    expect(() => withCore((s) => s + assignment('sneaky', 'b24988ac-6180-42a0-ab88-20f7382dd24c', 'storage', 'worker'))).toThrow(/Contributor is never granted/);
    expect(() => withCore((s) => s + assignment('sneaky', '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 'communication', 'function'))).toThrow(/Owner is never granted/);
  });

  it('a narrow role added to the template without a README row is drift', () => {
    const t = withCore((s) => s + assignment('extra', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', 'storage', 'worker'));
    expect(drift(t, readme)).toEqual({ onlyTemplate: ['worker | Storage Blob Data Owner | the storage account'], onlyReadme: [] });
  });

  it('an assignment removed from the template, or a row added to the README, is drift', () => {
    const t = withCore((s) => s.replace(/resource functionLogs 'Microsoft\.Authorization\/roleAssignments@2022-04-01' = \{[\s\S]*?\n\}\n/, ''));
    expect(drift(t, readme).onlyReadme).toEqual(['function | Log Analytics Reader | the Log Analytics workspace']);
    const md = readme.replace('| `worker` | AcrPull |', '| `worker` | Key Vault Reader | each protector vault | more |\n| `worker` | AcrPull |');
    expect(drift(template, md).onlyReadme).toEqual(['worker | Key Vault Reader | each protector vault']);
  });

  it('an assignment on an unnamed scope or with an irregular role or principal fails loudly', () => {
    expect(() => withCore((s) => s + assignment('onVault', '21090545-7ca7-4776-b22c-e363652d74d2', 'secrets', 'worker'))).toThrow(/scope modules\/core\.bicep#secrets is not named/);
    expect(() => withCore((s) => s + assignment('x', '00000000-0000-0000-0000-000000000000', 'storage', 'worker'))).toThrow(/not named in BUILT_IN_ROLES/);
    expect(() => withCore((s) => s.replace('principalId: principals.worker', 'principalId: someone'))).toThrow(/principalId must be principals/);
  });
});

/** A setting's value when the template fixes it (a literal, a var, a resource's literal name), else null. */
function resolve(file: BicepFile, raw: string, v?: BicepValue): string | null {
  if (v?.kind === 'string') return raw.includes('${') ? null : raw;
  const [head, ...rest] = raw.split('.');
  const fromVar = head !== undefined ? file.vars.get(head) : undefined;
  if (fromVar) {
    let cur: BicepValue | undefined = fromVar;
    for (const k of rest) cur = cur?.kind === 'object' ? cur.entries.get(k) : undefined;
    if (cur?.kind === 'string') return cur.raw.includes('${') ? null : cur.raw;
    if (cur?.kind === 'expr') return resolve(file, cur.raw);
    return null;
  }
  const decl = file.declarations.find((d) => d.symbol === head);
  if (decl && rest.join('.') === 'name') {
    const name = decl.body.get('name');
    return name ? resolve(file, text(name) ?? '', name) : null;
  }
  return null;
}

/** Deploy-time values (endpoints, ids, secrets by reference) stand in as realistic samples for the schema check. */
const SAMPLES: Readonly<Record<string, string>> = {
  TABLE_ACCOUNT_URL: 'https://stkeysteward0123456789.table.core.windows.net/',
  REDIS_URL: 'rediss://:sample-access-key@redis-keysteward.redis.cache.windows.net:6380',
  ACS_ENDPOINT: 'https://acs-keysteward.unitedstates.communication.azure.com',
  ALERT_SENDER: 'DoNotReply@00000000-0000-0000-0000-000000000000.azurecomm.net',
  ALERT_TO: 'secops@contoso.example',
  LOG_ANALYTICS_WORKSPACE_ID: '00000000-0000-0000-0000-000000000000',
  ARM_ENDPOINT: 'https://management.azure.com/',
  DISCOVERY_SUBSCRIPTIONS: '00000000-0000-0000-0000-000000000001',
  KEYSTEWARD_ESTATE: 'estate.json',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/',
};

const configKeys = new Set(Object.keys(configSchema.shape));

function envOf(file: BicepFile, settings: readonly Setting[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of settings) {
    const fixed = s.secretRef ? null : (s.literal ?? resolve(file, s.raw));
    // Only the service's own settings go through its schema; the platform's computed ones just need to be there.
    const value = fixed ?? SAMPLES[s.name] ?? (configKeys.has(s.name) ? undefined : `<${s.raw}>`);
    if (value === undefined) throw new Error(`${s.name}: computed at deploy time (${s.raw}) — add a sample value to SAMPLES`);
    env[s.name] = value;
  }
  return env;
}

/** Read by the Functions host, the Azure SDK (user-assigned identity) or Application Insights, not by hosts/config.ts. */
const PLATFORM_SETTINGS = new Set(['FUNCTIONS_EXTENSION_VERSION', 'FUNCTIONS_WORKER_RUNTIME', 'WEBSITE_RUN_FROM_PACKAGE', 'AZURE_CLIENT_ID', 'APPLICATIONINSIGHTS_CONNECTION_STRING']);
/** Settings whose defaults only fit the local stack: in Azure each must be set. */
const AZURE_REQUIRED_BOTH = ['KEYSTEWARD_ESTATE', 'KEYSTEWARD_MODE', 'TABLE_ACCOUNT_URL', 'REDIS_URL', 'AZURE_CLIENT_ID', 'ROTATION_WORKER'];
const AZURE_REQUIRED_FUNCTION = [...AZURE_REQUIRED_BOTH, 'ACS_ENDPOINT', 'ALERT_SENDER', 'LOG_ANALYTICS_WORKSPACE_ID', 'KV_AUDIT_EVENTHUB', 'ACTIVITY_EVENTHUB', 'EVENTHUB_CONSUMER_GROUP'];

describe('the Function App', () => {
  const site = declaration(core, 'Microsoft.Web/sites')[0];
  const settings = settingsOf(at(site?.body, 'properties.siteConfig.appSettings'), 'functionApp appSettings');
  const env = core ? envOf(core, settings) : {};
  const names = settings.map((s) => s.name);
  const config = loadConfig(env);
  const fc = functionsConfigOf(config);

  it('is Linux, Node 20, Functions v4, HTTPS only, with a user-assigned identity', () => {
    expect(declaration(core, 'Microsoft.Web/sites')).toHaveLength(1);
    expect(text(site?.body.get('kind'))).toBe('functionapp,linux');
    expect(text(at(site?.body, 'properties.siteConfig.linuxFxVersion'))?.toLowerCase()).toBe('node|20');
    expect(env['FUNCTIONS_EXTENSION_VERSION']).toBe('~4');
    expect(env['FUNCTIONS_WORKER_RUNTIME']).toBe('node');
    expect(text(at(site?.body, 'properties.httpsOnly'))).toBe('true');
    expect(text(at(site?.body, 'identity.type'))).toBe('UserAssigned');
    const plan = declaration(core, 'Microsoft.Web/serverfarms')[0];
    expect(text(at(plan?.body, 'properties.reserved'))).toBe('true');
    const engines = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe('>=20');
  });

  it('names only settings that the code, the Functions host or the Azure SDK read, each once', () => {
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    const triggerConnections = [fc.auditEventHub.connection, fc.activityEventHub.connection, 'AzureWebJobsStorage'];
    const unknown = names.filter((n) => !configKeys.has(n) && !PLATFORM_SETTINGS.has(n) && !triggerConnections.some((c) => n.startsWith(`${c}__`)));
    expect(unknown).toEqual([]);
  });

  it('passes the service\'s configuration schema, in azure mode, with no rotation worker', () => {
    expect(config.KEYSTEWARD_MODE).toBe('azure');
    expect(config.ROTATION_WORKER).toBe(false);
    for (const n of AZURE_REQUIRED_FUNCTION) expect(names, n).toContain(n);
    expect(config.REDIS_URL.startsWith('rediss://')).toBe(true);
    expect(settings.find((s) => s.name === 'REDIS_URL')?.raw).toMatch(/^@Microsoft\.KeyVault\(SecretUri=\$\{redisUrl\.properties\.secretUri\}\)$/);
  });

  it('connects the triggers and the host storage by identity — no connection strings anywhere', () => {
    for (const c of [fc.auditEventHub.connection, fc.activityEventHub.connection]) {
      expect(names).toContain(`${c}__fullyQualifiedNamespace`);
      expect(env[`${c}__credential`]).toBe('managedidentity');
      expect(settings.find((s) => s.name === `${c}__clientId`)?.raw).toBe('identities.function.clientId');
    }
    expect(names).toContain('AzureWebJobsStorage__accountName');
    expect(env['AzureWebJobsStorage__credential']).toBe('managedidentity');
    expect(names.filter((n) => /CONNECTION_STRING$/.test(n) && n !== 'APPLICATIONINSIGHTS_CONNECTION_STRING')).toEqual([]);
    expect(names).not.toContain('AzureWebJobsStorage');
    expect(settings.find((s) => s.name === 'AZURE_CLIENT_ID')?.raw).toBe('identities.function.clientId');
  });

  it('reads the hubs and consumer group the template creates', () => {
    const hubs = declaration(core, 'Microsoft.EventHub/namespaces/eventhubs');
    const hubName = (symbol: string): string | null => (core ? resolve(core, `${symbol}.name`) : null);
    expect(hubs.map((h) => h.symbol).sort()).toEqual(['activityHub', 'auditHub']);
    expect(config.KV_AUDIT_EVENTHUB).toBe(hubName('auditHub'));
    expect(config.ACTIVITY_EVENTHUB).toBe(hubName('activityHub'));
    // The hubs carry the names Azure Monitor's defaults (and the service's) use.
    const defaults = loadConfig({ KEYSTEWARD_ESTATE: 'e.json', TABLE_ACCOUNT_URL: 'https://t.example' });
    expect([hubName('auditHub'), hubName('activityHub')]).toEqual([defaults.KV_AUDIT_EVENTHUB, defaults.ACTIVITY_EVENTHUB]);
    const groups = declaration(core, 'Microsoft.EventHub/namespaces/eventhubs/consumergroups');
    expect(groups.map((g) => text(g.body.get('parent'))).sort()).toEqual(['activityHub', 'auditHub']);
    for (const g of groups) expect(core ? resolve(core, text(g.body.get('name')) ?? '') : null).toBe(config.EVENTHUB_CONSUMER_GROUP);
  });
});

describe('the worker Container App', () => {
  const app = declaration(core, 'Microsoft.App/containerApps')[0];
  const containers = at(app?.body, 'properties.template.containers');
  const container = containers?.kind === 'array' ? containers.items[0] : undefined;
  const body = container?.kind === 'object' ? container.entries : undefined;
  const settings = settingsOf(at(body, 'env'), 'worker env');
  const env = core ? envOf(core, settings) : {};

  it('runs `keysteward worker` with settings that pass the configuration schema', () => {
    expect(at(body, 'args')).toEqual({ kind: 'array', items: [{ kind: 'string', raw: 'worker' }] });
    const config = loadConfig(env);
    expect(config.KEYSTEWARD_MODE).toBe('azure');
    expect(config.ROTATION_WORKER).toBe(true);
    for (const n of AZURE_REQUIRED_BOTH) expect(settings.map((s) => s.name), n).toContain(n);
    expect(settings.filter((s) => !configKeys.has(s.name) && !PLATFORM_SETTINGS.has(s.name)).map((s) => s.name)).toEqual([]);
    expect(settings.find((s) => s.name === 'AZURE_CLIENT_ID')?.raw).toBe('identities.worker.clientId');
    expect(settings.find((s) => s.name === 'REDIS_URL')).toMatchObject({ secretRef: true, raw: 'redis-url' });
  });

  it('mounts the estate where KEYSTEWARD_ESTATE points, and has no ingress', () => {
    const mount = at(body, 'volumeMounts');
    const mountPath = mount?.kind === 'array' && mount.items[0]?.kind === 'object' ? text(mount.items[0].entries.get('mountPath')) : undefined;
    expect(env['KEYSTEWARD_ESTATE']).toBe(`${mountPath}/estate.json`);
    expect(at(app?.body, 'properties.configuration.ingress')).toBeUndefined();
  });
});

describe('the resources the service depends on', () => {
  it('Redis evicts nothing and speaks TLS only', () => {
    const redis = declaration(core, 'Microsoft.Cache/redis');
    expect(redis).toHaveLength(1);
    const r = redis[0]?.body;
    expect(text(at(r, 'properties.redisConfiguration.maxmemory-policy'))).toBe('noeviction');
    expect(text(at(r, 'properties.enableNonSslPort'))).toBe('false');
    expect(text(at(r, 'properties.minimumTlsVersion'))).toBe('1.2');
  });

  it('the storage account refuses shared keys, public blobs and old TLS', () => {
    const s = declaration(core, 'Microsoft.Storage/storageAccounts')[0]?.body;
    expect(text(at(s, 'properties.allowSharedKeyAccess'))).toBe('false');
    expect(text(at(s, 'properties.allowBlobPublicAccess'))).toBe('false');
    expect(text(at(s, 'properties.minimumTlsVersion'))).toBe('TLS1_2');
  });

  it('every protector vault sends AuditEvent to the audit hub; every watched subscription its activity log to the activity hub', () => {
    const vault = template.files.get('modules/vaultAccess.bicep');
    const diag = declaration(vault, 'Microsoft.Insights/diagnosticSettings');
    expect(diag).toHaveLength(1);
    const scope = vault?.declarations.find((d) => d.symbol === text(diag[0]?.body.get('scope')));
    expect(scope).toMatchObject({ type: 'Microsoft.KeyVault/vaults', existing: true });
    const logs = at(diag[0]?.body, 'properties.logs');
    expect(logs?.kind === 'array' ? logs.items.map((l) => (l.kind === 'object' ? text(l.entries.get('category')) : '')) : []).toEqual(['AuditEvent']);
    expect(text(at(diag[0]?.body, 'properties.eventHubName'))).toBe('auditHubName');

    const sub = template.files.get('modules/subscriptionAccess.bicep');
    expect(sub?.targetScope).toBe('subscription');
    const activity = declaration(sub, 'Microsoft.Insights/diagnosticSettings');
    expect(activity).toHaveLength(1);
    expect(activity[0]?.body.get('scope')).toBeUndefined();
    const categories = at(activity[0]?.body, 'properties.logs');
    expect(categories?.kind === 'array' ? categories.items.map((l) => (l.kind === 'object' ? text(l.entries.get('category')) : '')) : []).toEqual(['Administrative']);
    expect(text(at(activity[0]?.body, 'properties.eventHubName'))).toBe('activityHubName');

    // main.bicep wires each module to the hub of its kind, one module per vault and per subscription.
    const main = template.files.get('main.bicep');
    const vaults = main?.declarations.find((d) => d.type === 'modules/vaultAccess.bicep');
    const subs = main?.declarations.find((d) => d.type === 'modules/subscriptionAccess.bicep');
    expect(vaults?.condition).toMatch(/^for \(vaultId, i\) in protectorVaultIds$/);
    expect(subs?.condition).toMatch(/^for \(subscriptionId, i\) in watchedSubscriptionIds$/);
    expect(text(at(vaults?.body, 'params.auditHubName'))).toBe('core.outputs.auditHubName');
    expect(text(at(subs?.body, 'params.activityHubName'))).toBe('core.outputs.activityHubName');
    expect(template.sources.get('modules/core.bicep')).toMatch(/^output auditHubName string = auditHub\.name$/m);
    expect(template.sources.get('modules/core.bicep')).toMatch(/^output activityHubName string = activityHub\.name$/m);
  });

  it('subscribes each vault\'s Event Grid topic to the registered function, for the event types the service reads', () => {
    const vault = template.files.get('modules/vaultAccess.bicep');
    const sub = declaration(vault, 'Microsoft.EventGrid/systemTopics/eventSubscriptions')[0];
    const types = at(sub?.body, 'properties.filter.includedEventTypes');
    const list = types?.kind === 'array' ? types.items.map((t) => text(t) ?? '') : [];
    expect(list.length).toBeGreaterThan(0);
    const event = (eventType: string): unknown => ({ id: '1', eventType, eventTime: '2026-03-03T03:00:00Z', subject: 'k', data: {} });
    expect(normaliseEventGridEvent(event('Microsoft.KeyVault.SecretNewVersionCreated'))).toMatchObject({ reason: 'untracked event type' });
    for (const t of list) expect(normaliseEventGridEvent(event(t)), t).not.toMatchObject({ reason: 'untracked event type' });
    const registered = /app\.eventGrid\('(\w+)'/.exec(readFileSync(`${root}functions/index.ts`, 'utf8'))?.[1];
    expect(template.sources.get('main.bicep')).toContain(`/functions/${registered ?? '?'}'`);
  });

  it('creates ACS Email, Application Insights on a workspace, and the worker Container App', () => {
    for (const type of [
      'Microsoft.Communication/communicationServices',
      'Microsoft.Communication/emailServices',
      'Microsoft.Communication/emailServices/domains',
      'Microsoft.Insights/components',
      'Microsoft.OperationalInsights/workspaces',
      'Microsoft.App/managedEnvironments',
      'Microsoft.App/containerApps',
      'Microsoft.ManagedIdentity/userAssignedIdentities',
    ]) {
      const all = [...template.files.values()].flatMap((f) => declaration(f, type));
      expect(all.length, type).toBeGreaterThan(0);
    }
  });
});

describe('deploy/main.parameters.example.json', () => {
  it('names only parameters of main.bicep, and every one without a default but the estate (its own file, README)', () => {
    const example = JSON.parse(readFileSync(`${root}deploy/main.parameters.example.json`, 'utf8')) as { parameters: Record<string, unknown> };
    const src = stripComments(template.sources.get('main.bicep') ?? '');
    const params = [...src.matchAll(/^param[ \t]+(\w+)[ \t]+\w+([ \t]*=.*)?$/gm)].map((m) => ({ name: m[1] ?? '', required: m[2] === undefined }));
    expect(params.map((p) => p.name).sort()).toEqual([...(template.files.get('main.bicep')?.params ?? [])].sort());
    expect(Object.keys(example.parameters).filter((k) => !params.some((p) => p.name === k))).toEqual([]);
    const missing = params.filter((p) => p.required && !(p.name in example.parameters)).map((p) => p.name);
    expect(missing).toEqual(['estateFileContent']);
  });
});

describe('the Bicep subset reader', () => {
  it('reads nested objects, arrays, interpolated strings with quotes inside, conditions and comments', () => {
    const f = parseBicep(
      'x.bicep',
      [
        "targetScope = 'subscription'",
        "var v = { a: 'x//y' /* c */, b: [ 1, 'two' ] } // trailing",
        "resource r 'A.B/c@2020-01-01' = if (!empty(p)) {",
        "  name: '${last(split(id, '/'))}-z'",
        '  properties: {',
        "    'dash-key': 'noeviction'",
        '    list: [',
        "      { name: 'n', value: x ? 'a' : 'b' }",
        '    ]',
        '  }',
        '}',
        "module m 'mod.bicep' = [for (s, i) in subs: {",
        '  name: s',
        '}]',
      ].join('\n'),
    );
    expect(f.targetScope).toBe('subscription');
    expect(f.declarations.map((d) => [d.symbol, d.type, d.condition])).toEqual([
      ['r', 'A.B/c', 'if (!empty(p))'],
      ['m', 'mod.bicep', 'for (s, i) in subs'],
    ]);
    expect(text(f.declarations[0]?.body.get('name'))).toBe("${last(split(id, '/'))}-z");
    expect(text(at(f.declarations[0]?.body, 'properties.dash-key'))).toBe('noeviction');
    expect(settingsOf(at(f.declarations[0]?.body, 'properties.list'), 'list')).toEqual([{ name: 'n', literal: null, raw: "x ? 'a' : 'b'", secretRef: false }]);
    expect(f.vars.get('v')).toEqual({
      kind: 'object',
      entries: new Map<string, BicepValue>([
        ['a', { kind: 'string', raw: 'x//y' }],
        ['b', { kind: 'array', items: [{ kind: 'expr', raw: '1' }, { kind: 'string', raw: 'two' }] }],
      ]),
    });
  });

  it('refuses what it cannot read instead of skipping it', () => {
    expect(() => parseBicep('bad.bicep', "resource r 'A/b@1' = {\n  name 'x'\n}")).toThrow(/bad\.bicep:2: expected : after name/);
    expect(() => parseBicep('bad.bicep', "resource r 'A/b@1' = {\n  name: 'x\n")).toThrow(/unterminated/);
  });
});
