#!/usr/bin/env node
// keysteward command line (DESIGN.md §4.2). Exit codes: 0 ran (whatever it found), 2 bad arguments or an
// unreadable estate — always with a single line on stderr.
import { Command, CommanderError, Option } from 'commander';
import { runReplay } from './replayCommand.js';
import { runPlanRotate } from './planCommand.js';
import { runDemo } from './demoCommand.js';
import { runServe } from './serveCommand.js';
import { runRotate } from './rotateCommand.js';
import { runWorker } from './workerCommand.js';
import { runRetire } from './retireCommand.js';
import { runRewrap } from './rewrapCommand.js';
import { runItsmSend, runItsmSign, runItsmStatus } from './itsmCommand.js';
import { runDiscover, type DiscoverOptions } from './discoverCommand.js';
import { UsageError } from './usageError.js';

const program = new Command()
  .name('keysteward')
  .description('Watches and runs the lifecycle of Azure customer-managed keys (SQL TDE protectors, Cosmos DB CMKs, Always Encrypted DEKs).')
  .exitOverride()
  .configureOutput({ writeErr: () => undefined, outputError: () => undefined });

program
  .command('replay')
  .description('fold exported Key Vault audit / activity log / Event Grid files into protector state and print the report')
  .requiredOption('--estate <file>', 'estate file (JSON or YAML)')
  .option('--now <iso>', 'instant for time-based decisions (default: the latest event time)')
  .argument('<files...>', 'envelopes, arrays of envelopes, NDJSON of records, or Event Grid arrays')
  .action(async (files: string[], opts: { estate: string; now?: string }) => runReplay(files, opts));

const plan = program.command('plan').description('print plans without changing anything');
plan
  .command('rotate')
  .description('print the rotation plan of one protector as JSON')
  .requiredOption('--estate <file>', 'estate file (JSON or YAML)')
  .requiredOption('--protector <id>', 'protector id from the estate')
  .option('--now <iso>', 'instant the plan is made at (default: now)')
  .action(async (opts: { estate: string; protector: string; now?: string }) => runPlanRotate(opts));

program
  .command('rotate')
  .description('start a rotation on the running host and follow it with a progress bar (--dry-run: print the plan)')
  .requiredOption('--protector <id>', 'protector id from the estate')
  .option('--dry-run', 'print the plan the host would run, change nothing')
  .option('--url <url>', 'the keysteward host (default KEYSTEWARD_URL or http://127.0.0.1:7071)')
  .option('--no-wait', 'return once the rotation is queued')
  .action(async (opts: { protector: string; dryRun?: boolean; url?: string; wait?: boolean }) => runRotate(opts));

program
  .command('retire')
  .description('disable an old key version behind the retirement gate (refused, with the blockers, while anything needs it)')
  .requiredOption('--protector <id>', 'protector id from the estate')
  .requiredOption('--vault <vault>', 'vault holding the version')
  .requiredOption('--version <version>', 'the 32-hex key version id')
  .option('--url <url>', 'the keysteward host (default KEYSTEWARD_URL or http://127.0.0.1:7071)')
  .action(async (opts: { protector: string; vault: string; version: string; url?: string }) => runRetire(opts));

program
  .command('rewrap')
  .description('rewrap the DEKs of a protector\'s key onto a new version (Cosmos client encryption keys, or keysteward\'s DEK store) and follow the campaign')
  .requiredOption('--protector <id>', 'protector id from the estate')
  .requiredOption('--to <version>', 'the 32-hex key version every DEK ends on')
  .option('--from <version>', 'move only DEKs on this version (required for keysteward\'s DEK store; Cosmos default: every older version)')
  .option('--vault <vault>', 'the vault of the versions (default: the primary member\'s)')
  .option('--url <url>', 'the keysteward host (default KEYSTEWARD_URL or http://127.0.0.1:7071)')
  .option('--no-wait', 'return once the campaign is queued')
  .action(async (opts: { protector: string; to: string; from?: string; vault?: string; url?: string; wait?: boolean }) => runRewrap(opts));

const itsm = program.command('itsm').description('rotation requests from ITSM tools: send one as a sender would, sign a body, follow a request');
itsm
  .command('send')
  .description('sign and post a rotation request as ServiceNow (standard) or Jira (jira) would, print its id and follow it')
  .requiredOption('--profile <profile>', 'standard (Standard Webhooks, the ServiceNow script) or jira (admin webhook)')
  .requiredOption('--protector <id>', 'protector id the request names')
  .requiredOption('--ticket <ref>', 'ServiceNow change number (CHG0030001) or Jira issue key (CHG-12)')
  .option('--url <url>', 'the keysteward host (default KEYSTEWARD_URL or http://127.0.0.1:7071)')
  .option('--secret <secret>', 'signing secret (default KEYSTEWARD_ITSM_SECRET, else the local stack\'s)')
  .option('--action <action>', 'rotate (default) or dry-run (standard only)')
  .option('--id <id>', 'the delivery id (webhook-id / X-Atlassian-Webhook-Identifier): send the same one again to replay')
  .option('--sys-id <sysId>', 'the change\'s sys_id (standard profile, ServiceNow)')
  .option('--protector-field <field>', 'the Jira field naming the protector (jira profile; default the local stack\'s)')
  .option('--no-wait', 'return once the request is accepted')
  .action(async (opts: { profile: string; protector: string; ticket: string; url?: string; secret?: string; action?: string; id?: string; sysId?: string; protectorField?: string; wait?: boolean }) => runItsmSend(opts));
itsm
  .command('sign')
  .description('print the signature headers for a body (test vectors for whoever writes the sender)')
  .argument('[file]', 'the exact body bytes (default stdin)')
  .option('--secret <secret>', 'signing secret (default the local stack\'s)')
  .option('--profile <profile>', 'standard (default) or jira')
  .option('--id <id>', 'webhook-id (default a random msg_ id)')
  .option('--timestamp <seconds>', 'webhook-timestamp (default now)')
  .action(async (file: string | undefined, opts: { secret?: string; profile?: string; id?: string; timestamp?: string }) => runItsmSign(file, opts));
itsm
  .command('status')
  .description('print an ITSM request: its ticket, every state change with its reason, its rotation run')
  .argument('<id>', 'request id')
  .option('--url <url>', 'the keysteward host (default KEYSTEWARD_URL or http://127.0.0.1:7071)')
  .option('--wait', 'follow it until it ends')
  .action(async (id: string, opts: { url?: string; wait?: boolean }) => runItsmStatus(id, opts));

program
  .command('discover')
  .description('read the estate from Azure (SQL TDE protectors with their geo-replicas, Cosmos DB CMKs and Always Encrypted keys, their vaults) and write it as an estate file')
  .option('--subscription <id...>', 'subscription ids to read (default: every subscription the identity can read)')
  .option('--out <file>', 'write the estate here (default: stdout)')
  .option('--merge <file>', 'combine with this estate file: its ids and hand-edited fields are kept, its topology replaced by what is discovered')
  .option('--dry-run', 'print the changes against --merge (or --out) and write nothing')
  .option('--format <format>', 'yaml (default; with comments naming each value\'s source) or json (default for an --out ending in .json)')
  .option('--concurrency <n>', 'resources read at once (default 16)')
  .action(async (opts: DiscoverOptions) => runDiscover(opts));

program
  .command('worker')
  .description('run a rotation worker (BullMQ) from environment configuration')
  .action(async () => runWorker());

program
  .command('serve')
  .description('run the standalone host (HTTP API, ingestion, timers) from environment configuration')
  .action(async () => runServe());

program
  .command('demo')
  .description('replay the bundled demo estate and events and print the report (what `npm start` runs)')
  .addOption(new Option('--now <iso>', 'instant for time-based decisions').hideHelp())
  .action(async (opts: { now?: string }) => runDemo(opts));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit through here with code 0.
    if (err.exitCode === 0) process.exit(0);
    process.stderr.write(`keysteward: ${err.message.replace(/^error: /, '')}\n`);
    process.exit(2);
  }
  if (err instanceof UsageError) {
    process.stderr.write(`keysteward: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
