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
