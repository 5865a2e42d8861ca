// `keysteward discover`: reads the estate from Azure (every subscription the identity can read, or --subscription)
// and writes it as a valid estate file — YAML with comments naming each value's source, or JSON — to --out or stdout;
// --merge combines it with a hand-edited file; --dry-run prints the changes and writes nothing. Progress and the
// summary go to stderr. Exit 0 when it ran (whatever it found or could not read), 2 on a bad argument, setting or
// --merge file, 1 when no token can be had for Azure or on an unexpected failure.
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { discoverEstateDraft, type DiscoveredDraft } from '../app/discovery/estateDraft.js';
import { ArmCredentialError } from '../adapters/arm/index.js';
import { EstateFileError, loadEstateDocument } from '../adapters/files/estateFile.js';
import { renderEstate, type EstateFormat } from '../adapters/files/estateYaml.js';
import { diffEstates } from '../domain/discovery/docDiff.js';
import type { EstateInput } from '../domain/estate/schema.js';
import { ConfigError, loadDiscoveryConfig } from '../hosts/config.js';
import { createDiscoveryServices } from '../hosts/discovery.js';
import { progressLine, summaryTable } from './discoverReport.js';
import { UsageError } from './usageError.js';

export interface DiscoverOptions {
  readonly subscription?: string[];
  readonly out?: string;
  readonly merge?: string;
  readonly dryRun?: boolean;
  readonly format?: string;
  readonly concurrency?: string;
}

const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function formatOf(o: DiscoverOptions): EstateFormat {
  if (o.format !== undefined) {
    if (o.format !== 'yaml' && o.format !== 'json') throw new UsageError(`--format must be yaml or json (got "${o.format}")`);
    return o.format;
  }
  return o.out && extname(o.out).toLowerCase() === '.json' ? 'json' : 'yaml';
}

function concurrencyOf(value: string | undefined): number {
  if (value === undefined) return 16;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--concurrency must be an integer from 1 to 256 (got "${value}")`);
  return n;
}

async function mergeFile(path: string | undefined): Promise<EstateInput | null> {
  if (path === undefined) return null;
  try {
    return await loadEstateDocument(path);
  } catch (err) {
    if (err instanceof EstateFileError) throw new UsageError(`--merge: ${err.message}`);
    throw err;
  }
}

/** What --dry-run compares with: the --merge file, else the --out file when it holds a valid estate. */
async function previous(o: DiscoverOptions, merged: EstateInput | null): Promise<EstateInput | null> {
  if (merged) return merged;
  if (!o.out || !existsSync(o.out)) return null;
  try {
    return await loadEstateDocument(o.out);
  } catch (err) {
    if (!(err instanceof EstateFileError)) throw err;
    process.stderr.write(`discover: ${o.out} is not a valid estate (${err.message}); showing everything as new\n`);
    return null;
  }
}

/** Written beside the target, then renamed over it: a reader never sees half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export async function runDiscover(o: DiscoverOptions): Promise<void> {
  const format = formatOf(o);
  const concurrency = concurrencyOf(o.concurrency);
  const subscriptions = o.subscription ?? [];
  const bad = subscriptions.filter((s) => !SUBSCRIPTION_ID.test(s));
  if (bad.length > 0) throw new UsageError(`--subscription takes subscription ids (GUIDs); not one: ${bad.join(', ')}`);
  const file = await mergeFile(o.merge);
  let config;
  try {
    config = loadDiscoveryConfig(process.env);
  } catch (err) {
    throw err instanceof ConfigError ? new UsageError(err.message) : err;
  }
  const services = createDiscoveryServices(config);

  const started = performance.now();
  let found: DiscoveredDraft;
  try {
    found = await discoverEstateDraft(
      {
        arm: services.arm,
        keys: services.keys,
        concurrency: { subscriptions: Math.min(4, concurrency), resources: concurrency },
        onProgress: (p) => {
          const line = progressLine(p);
          if (line) process.stderr.write(`${line}\n`);
        },
      },
      subscriptions.length > 0 ? { subscriptions } : {},
      file && o.merge ? { doc: file, name: basename(o.merge) } : null,
    );
  } catch (err) {
    if (!(err instanceof ArmCredentialError)) throw err;
    process.stderr.write(`keysteward: ${err.message} (sign in with \`az login\`, or run where a managed identity or AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET is set)\n`);
    process.exitCode = 1;
    return;
  }
  const seconds = (performance.now() - started) / 1000;
  const { result, draft, merge } = found;

  if (o.dryRun) {
    const lines = diffEstates(await previous(o, file), draft.doc);
    process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : 'no changes\n');
  } else {
    const text = renderEstate(draft, format);
    if (o.out) {
      if (!o.merge && existsSync(o.out)) process.stderr.write(`discover: replacing ${o.out} (without --merge its hand-edited fields are not kept)\n`);
      await writeAtomically(o.out, text);
    } else process.stdout.write(text);
  }
  process.stderr.write(summaryTable({ result, draft, merge, arm: services.armRequests, keyVault: services.keyVaultRequests, seconds }));
}
