// What `keysteward discover` writes on stderr: a progress line as it lists, and the summary table at the end.
import type { DiscoveryProgress, DiscoveryResult } from '../app/discovery/discover.js';
import type { EstateDraft } from '../domain/discovery/estateDoc.js';
import type { MergeReport } from '../domain/discovery/merge.js';

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** One line per step worth telling: each subscription listed, every 50 servers read, the keys, the end. */
export function progressLine(p: DiscoveryProgress): string | null {
  const found = `${plural(p.servers.found, 'SQL server')}, ${plural(p.cosmosAccounts, 'Cosmos DB account')}, ${plural(p.vaults, 'vault')}`;
  switch (p.phase) {
    case 'subscriptions':
      return p.subscriptions.total === 0 ? 'discover: listing subscriptions…' : `discover: ${p.subscriptions.read}/${plural(p.subscriptions.total, 'subscription')} listed — ${found}`;
    case 'resources':
      return `discover: ${p.servers.read}/${p.servers.found} SQL servers read`;
    case 'keys':
      return 'discover: reading protector keys (attributes and rotation policy)…';
    case 'done':
      return null;
  }
}

export interface Requests {
  readonly calls: number;
  readonly sent: number;
  readonly throttled: number;
}

function counts(items: readonly string[]): string {
  const by = new Map<string, number>();
  for (const i of items) by.set(i, (by.get(i) ?? 0) + 1);
  return [...by.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
}

/** The summary table (two columns, aligned), ending in a newline. */
export function summaryTable(o: { result: DiscoveryResult; draft: EstateDraft; merge: MergeReport | null; arm: Requests; keyVault: Requests; seconds: number }): string {
  const { facts, estate } = o.result;
  const members = estate.protectors.flatMap((p) => p.members);
  const resources = facts.sqlServers.length + facts.cosmosAccounts.length + facts.vaults.length;
  const rows: Array<[string, string]> = [
    ['subscriptions', `${facts.subscriptions.length} read`],
    ['resources', `${plural(facts.sqlServers.length, 'SQL server')} (incl. managed instances), ${plural(facts.cosmosAccounts.length, 'Cosmos DB account')}, ${plural(facts.vaults.length, 'vault')}`],
    ['protectors', `${counts(estate.protectors.map((p) => p.kind))}${o.draft.skipped.length > 0 ? ` (${o.draft.skipped.length} not written: ${o.draft.skipped.map((s) => s.id).join(', ')})` : ''}`],
    ['members', `${members.length} (${members.filter((m) => m.role === 'primary').length} primary, ${members.filter((m) => m.role === 'secondary').length} secondary, ${members.filter((m) => m.principalId === null).length} without a principal id)`],
    ['vaults', `${estate.vaults.length} read${estate.unreadVaults.length > 0 ? `, ${estate.unreadVaults.length} not read: ${estate.unreadVaults.join(', ')}` : ''}`],
    ['findings', counts(estate.findings.map((f) => f.code))],
    ['gaps', facts.gaps.length === 0 ? 'none' : `${facts.gaps.length} (listed at the end of the YAML file): ${counts(facts.gaps.map((g) => g.reason.split(' ')[0] ?? ''))}`],
    ['ARM calls', `${o.arm.calls.toLocaleString('en-US')} (${o.arm.sent.toLocaleString('en-US')} sent with retries, ${o.arm.throttled.toLocaleString('en-US')} answered 429)`],
    ['Key Vault calls', `${o.keyVault.calls.toLocaleString('en-US')} (${o.keyVault.throttled} answered 429)`],
    ['time', `${o.seconds.toFixed(1)} s, ${(resources / Math.max(o.seconds, 0.001)).toFixed(0)} resources/s`],
  ];
  if (o.merge) {
    const m = o.merge;
    rows.push(['merge', `${m.matched.length} updated, ${m.added.length} added, ${m.kept.length} kept that discovery did not find${m.kept.length > 0 ? ` (${m.kept.join(', ')})` : ''}${m.renamed.length > 0 ? `, ${m.renamed.length} renamed` : ''}`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return `discover summary\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}
