// `npm start`: the local default. Brings up Redis, Azurite, the emulators and the standalone host; the host's estate is
// built by discovery from the ARM emulator (the demo's Azure, seeded from demo/service-estate.json) merged with the
// hand edits of demo/estate-overrides.yaml, as `keysteward discover --merge` does. Prints where everything is, the
// discover command that reproduces the estate, how to simulate a failover and trigger a revocation, and stops it all
// on Ctrl-C.
// Node reads NODE_EXTRA_CA_CERTS only at start-up, so when it is not yet set to the dev certificate this
// process re-runs itself with it set.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ensureDevCertificate } from '../../emulators/certs.js';
import { createLogger } from '../../adapters/logging/logger.js';
import { startLocalStack } from './stack.js';
import { startTelemetry } from '../../adapters/telemetry/setup.js';
import { loadTelemetrySettings } from '../config.js';
import { failoverRequest } from './failover.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function main(): Promise<void> {
  const cert = await ensureDevCertificate(join(root, '.keysteward', 'certs'));
  if (process.env['NODE_EXTRA_CA_CERTS'] !== cert.caPath) {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: cert.caPath } });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code) => process.exit(code ?? 1));
    return;
  }
  process.chdir(root);
  // Traces and metrics when APPLICATIONINSIGHTS_CONNECTION_STRING or OTEL_EXPORTER_OTLP_ENDPOINT is set (README,
  // Observability); otherwise a no-op. Before the logger and the stack (adapters/telemetry/setup.ts): the stack's
  // services register the open-incident and queue-depth gauges, which attach to the meter provider registered then.
  const telemetry = await startTelemetry(loadTelemetrySettings(process.env), 'serve');
  const log = createLogger(process.env['LOG_LEVEL'] ?? 'info');
  const stack = await startLocalStack({
    estatePath: join(root, 'demo', 'service-estate.json'),
    overridesPath: join(root, 'demo', 'estate-overrides.yaml'),
    port: Number(process.env['PORT'] ?? 7071),
    log,
  });
  const admin = `https://localhost:${stack.kv.port}/_admin`;
  const mail = stack.email.endpoint.replace(/\/$/, '');
  const sqlProtector = stack.estate.protectors.find((p) => p.kind === 'sql-tde' && p.members.length > 1);
  const protector = sqlProtector?.id ?? stack.estate.protectors[0]?.id ?? 'orders-sql';
  const primary = (sqlProtector ?? stack.estate.protectors[0])?.members.find((m) => m.role === 'primary');
  const d = stack.discovery;
  const discovered = d
    ? [
        `The estate was discovered from the emulated Azure (${d.result.facts.sqlServers.length} SQL servers, ${d.result.facts.cosmosAccounts.length} Cosmos DB accounts, ${d.result.facts.vaults.length} vaults; ${d.armCalls} ARM and ${d.keyVaultCalls} Key Vault calls) and merged with demo/estate-overrides.yaml:`,
        `  ${d.merge?.matched.length ?? 0} protectors matched (${stack.estate.protectors.map((p) => p.id).join(', ')}), ${d.merge?.added.length ?? 0} added, ${d.merge?.kept.length ?? 0} kept; ${d.result.facts.gaps.length === 0 ? 'nothing left unread' : `${d.result.facts.gaps.length} not read`}`,
        `  estate in use    ${d.estatePath}`,
        'Reproduce it:',
        `  NODE_EXTRA_CA_CERTS=${process.env['NODE_EXTRA_CA_CERTS'] ?? ''} ${Object.entries(d.env).map(([k, v]) => `${k}=${v}`).join(' ')} ${d.command}`,
        '',
      ]
    : [];
  const secondary = sqlProtector?.members.find((m) => m.role === 'secondary');
  const failover = sqlProtector && secondary ? await failoverRequest(stack.armSql.endpoint, secondary.resourceId, sqlProtector.id) : null;
  const failoverLines = failover
    ? [
        `Simulate a failover: ${secondary?.resourceId.split('/').pop()} becomes the primary of failover group ${sqlProtector?.id} (ARM writes the activity-log records the service ingests; it re-discovers and flips the roles)`,
        `  ${failover.curl}`,
        'Watch the roles flip (the drift finding estate_topology_drift / roles_swapped, and the rotation order: secondaries first):',
        `  curl -s ${stack.host.url}/api/discovery`,
        `  curl -s ${stack.host.url}/api/protectors/${sqlProtector?.id}`,
        '',
      ]
    : [];
  process.stdout.write(
    [
      '',
      'keysteward is running (local mode: emulated Key Vault, ACS Email, Log Analytics, ARM SQL, Cosmos DB, ServiceNow and Jira; Azurite; Redis)',
      `  dashboard        ${stack.host.url}/`,
      `  health           ${stack.host.url}/api/health`,
      `  protectors       ${stack.host.url}/api/protectors`,
      `  captured email   ${mail}/messages`,
      `  Key Vault audit  ${admin}/audit`,
      `  discovery        ${stack.host.url}/api/discovery`,
      `  ARM (emulated)   ${stack.armSql.endpoint}`,
      '',
      ...discovered,
      ...failoverLines,
      `Try a revocation: take ${primary?.resourceId.split('/').pop()}'s access to its key away`,
      `  curl -sk -X POST ${admin}/vaults/${primary?.vault}/revoke -H 'content-type: application/json' -d '{"principalId":"${primary?.principalId}"}'`,
      'The simulated server reads its key every 15 s; its next read is denied, and the alert (with the autoheal deadline) arrives in',
      `  curl -sk ${mail}/messages`,
      'Give it back, and a "resolved" alert follows:',
      `  curl -sk -X POST ${admin}/vaults/${primary?.vault}/grant -H 'content-type: application/json' -d '{"principalId":"${primary?.principalId}","permissions":["get","wrapKey","unwrapKey"]}'`,
      '',
      'Rotate a key (secondaries first, then the primary; Always Encrypted client encryption keys rewrapped after):',
      `  KEYSTEWARD_URL=${stack.host.url} npx keysteward rotate --protector ${protector}`,
      ...stack.estate.protectors.filter((p) => p.kind === 'cosmos-always-encrypted').map((p) => `  KEYSTEWARD_URL=${stack.host.url} npx keysteward rotate --protector ${p.id}`),
      `  Cosmos client encryption keys: ${stack.cosmos.endpoint} (emulator; account key auth, as Azure requires for CEK writes)`,
      '',
      'Rotate through the ITSM change process (signed webhooks; keysteward reads the change itself before anything runs):',
      `  ServiceNow ${stack.itsm.servicenow.url}: CHG0030001 approved, window open; CHG0030002 waiting for CAB approval`,
      `  KEYSTEWARD_URL=${stack.host.url} npx keysteward itsm send --profile standard --protector ${protector} --ticket CHG0030001`,
      `  KEYSTEWARD_URL=${stack.host.url} npx keysteward itsm send --profile standard --protector ${protector} --ticket CHG0030002 --no-wait`,
      `  approve it:  curl -sk -X PATCH ${stack.itsm.servicenow.url}/_admin/change_request/CHG0030002 -H 'content-type: application/json' -d '{"approval":"approved","state":"-1"}'`,
      `  its work notes:  curl -sk ${stack.itsm.servicenow.url}/_admin/change_request/CHG0030001/journal`,
      `  Jira ${stack.itsm.jira.url}: CHG-1 approved, implementing`,
      `  KEYSTEWARD_URL=${stack.host.url} npx keysteward itsm send --profile jira --protector ${protector} --ticket CHG-1`,
      '',
      'Ctrl-C stops everything this started.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping…\n');
    void stack
      .close()
      .then(() => telemetry.shutdown())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`keysteward: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
