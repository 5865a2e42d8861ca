// The suite's checkers (DESIGN.md §8, reliability.md P-4): pure functions from evidence — the emulators' records, the
// durable stores, the processes' output — to a count of violations with a line of detail each. They hold keysteward to
// what it acknowledged, not to what it logged; test/chaos/invariants.test.ts feeds each a crafted violation.
import type { EstateIndex } from '../domain/estate/index.js';
import { applyEvent, createFoldState } from '../domain/health/fold.js';
import type { ProtectorSnapshot } from '../domain/health/snapshot.js';
import { normaliseRecord } from '../domain/normalise/index.js';
import type { Finding, Incident } from '../domain/report.js';

export interface Check {
  readonly count: number;
  /** One line per violation (never a secret value). */
  readonly details: readonly string[];
}

const MAX_DETAILS = 20;
const check = (details: readonly string[], count = details.length): Check => ({ count, details: details.slice(0, MAX_DETAILS) });

// ─── Acknowledged requests (I6) ─────────────────────────────────────────────────────────────────────────────────

export interface RequestOutcome {
  readonly kind: string;
  readonly id: string;
  readonly phase: string;
  /** The state the API reports at the end; null when it knows nothing of the id. */
  readonly state: string | null;
  readonly terminal: boolean;
  readonly succeeded: boolean;
  /** Why it ended as it did (a failed step's code, a refusal's reason), when the API says. */
  readonly reason?: string;
}

/** Acknowledged (2xx) and then never run to an end: unknown to the API, or still not terminal after the drain. */
export function lostRequests(outcomes: readonly RequestOutcome[]): Check {
  // With the host's own reason (an ITSM request waiting on a busy protector says so), so a CI log tells why.
  return check(outcomes.filter((o) => o.state === null || !o.terminal).map((o) => `${o.phase}: ${o.kind} ${o.id} is ${o.state ?? 'unknown to the host'}${o.reason ? ` (${o.reason})` : ''}`));
}

/** Acknowledged, ended, but not as asked (a run failed-needs-operator, a campaign failed, a request refused). */
export function failedRequests(outcomes: readonly RequestOutcome[]): Check {
  return check(outcomes.filter((o) => o.state !== null && o.terminal && !o.succeeded).map((o) => `${o.phase}: ${o.kind} ${o.id} ended ${o.state}${o.reason ? `: ${o.reason}` : ''}`));
}

// ─── I1: one new version per vault per rotation request ─────────────────────────────────────────────────────────

export interface CreatedVersion {
  readonly vault: string;
  readonly key: string;
  readonly version: string;
  /** keysteward-rotation tag: the run that made it; null when untagged. */
  readonly tag: string | null;
  /** Position in the vaults' audit log (creation order). */
  readonly seq: number;
}

/**
 * Versions keysteward created: more than one per (request, vault, key) — a request being what the sender sent once
 * (an ITSM webhook-id), however many runs it became — or any version no run claims (untagged).
 */
export function duplicateVersions(created: readonly CreatedVersion[], requestOfRun: ReadonlyMap<string, string>): Check {
  const groups = new Map<string, CreatedVersion[]>();
  const details: string[] = [];
  let count = 0;
  for (const v of created) {
    if (v.tag === null) {
      count++;
      details.push(`${v.vault}/${v.key}/${v.version}: created by keysteward, claimed by no run`);
      continue;
    }
    const k = `${requestOfRun.get(v.tag) ?? v.tag}|${v.vault}|${v.key}`;
    groups.set(k, [...(groups.get(k) ?? []), v]);
  }
  for (const [k, list] of groups) {
    if (list.length < 2) continue;
    count += list.length - 1;
    const [request, vault, key] = k.split('|');
    details.push(`request ${request}: ${list.length} new versions of ${key} in ${vault} (runs ${[...new Set(list.map((v) => v.tag))].join(', ')})`);
  }
  return check(details, count);
}

// ─── I2: secondaries before the primary ─────────────────────────────────────────────────────────────────────────

export interface GeoGroup {
  readonly protector: string;
  /** Lower-case resource ids. */
  readonly primary: string;
  readonly secondaries: readonly string[];
  readonly primaryVault: string;
  readonly secondaryVaults: readonly string[];
}

export interface ProtectorWrite {
  readonly seq: number;
  /** Lower-case resource id. */
  readonly server: string;
  /** Thumbprint of the material the protector was set to (null when unknown). */
  readonly thumbprint: string | null;
  readonly ok: boolean;
}

/**
 * From the ARM history: a primary's protector set to material T while some geo-secondary had not yet been switched to
 * T (its initial protector, or an earlier successful write). From the vaults' audit: a run's version imported into the
 * primary's vault before every secondary vault held its own.
 */
export function orderViolations(groups: readonly GeoGroup[], initial: ReadonlyMap<string, string | null>, writes: readonly ProtectorWrite[], created: readonly CreatedVersion[]): Check {
  const details: string[] = [];
  for (const g of groups) {
    for (const w of writes) {
      if (w.server !== g.primary || !w.ok || w.thumbprint === null) continue;
      const behind = g.secondaries.filter((s) => initial.get(s) !== w.thumbprint && !writes.some((x) => x.server === s && x.ok && x.thumbprint === w.thumbprint && x.seq < w.seq));
      if (behind.length > 0) details.push(`${g.protector}: primary switched (ARM write #${w.seq}) before ${behind.map((s) => s.split('/').pop()).join(', ')}`);
    }
    if (g.secondaryVaults.length === 0) continue;
    const byRun = new Map<string, CreatedVersion[]>();
    for (const v of created) if (v.tag !== null) byRun.set(v.tag, [...(byRun.get(v.tag) ?? []), v]);
    for (const [run, list] of byRun) {
      const primary = list.find((v) => v.vault === g.primaryVault);
      if (!primary) continue;
      const late = g.secondaryVaults.filter((sv) => !list.some((v) => v.vault === sv && v.seq < primary.seq));
      if (late.length > 0) details.push(`${g.protector}: run ${run} imported into ${g.primaryVault} before ${late.join(', ')}`);
    }
  }
  return check(details);
}

// ─── I3: no premature retirement ────────────────────────────────────────────────────────────────────────────────

export interface VersionRef {
  readonly vault: string;
  readonly key: string;
  readonly version: string;
}

export interface Retirement extends VersionRef {
  /** Epoch ms the version was disabled or deleted. */
  readonly at: number;
  readonly how: string;
}

export interface VersionUse extends VersionRef {
  /** A server's protector, a client encryption key wrapped under it… */
  readonly by: string;
  readonly from: number;
  /** Null: still in use. */
  readonly until: number | null;
}

/** A version disabled or deleted while something used it, or within the backup retention after the last use ended. */
export function prematureRetirements(retired: readonly Retirement[], uses: readonly VersionUse[], retentionMs: number): Check {
  const same = (a: VersionRef, b: VersionRef): boolean => a.vault === b.vault && a.key.toLowerCase() === b.key.toLowerCase() && a.version === b.version;
  const details = retired.flatMap((r) => {
    const blocking = uses.filter((u) => same(u, r) && u.from <= r.at && (u.until === null || u.until > r.at - retentionMs));
    return blocking.length > 0 ? [`${r.vault}/${r.key}/${r.version} ${r.how} while needed by ${[...new Set(blocking.map((b) => b.by))].join(', ')}`] : [];
  });
  return check(details);
}

// ─── I4: applied or poisoned ────────────────────────────────────────────────────────────────────────────────────

export interface StoredState {
  /** Stored protector states by id (null: none stored). */
  readonly states: ReadonlyMap<string, ProtectorSnapshot | null>;
  /** Bodies of every row of the poison table. */
  readonly poisonBodies: readonly string[];
}

/** Whether the stored state of a protector holds everything `record` would add to it. */
function applied(index: EstateIndex, record: unknown, stored: StoredState): 'applied' | 'missing' | 'rejected' | 'irrelevant' {
  const result = normaliseRecord(record);
  if (result.status === 'rejected') return 'rejected';
  if (result.status === 'ignored') return 'irrelevant';
  const fold = createFoldState(index);
  for (const e of result.events) applyEvent(fold, e);
  let relevant = false;
  for (const ps of fold.protectors.values()) {
    const successes = ps.successes.map((list, i) => ({ member: ps.protector.members[i]?.resourceId ?? '', list })).filter((s) => s.list.length > 0);
    if (ps.events.size === 0 && successes.length === 0) continue;
    relevant = true;
    const snapshot = stored.states.get(ps.protector.id) ?? null;
    if (!snapshot) return 'missing';
    const ids = new Set(snapshot.events.map((e) => e.id));
    if ([...ps.events.keys()].some((id) => !ids.has(id))) return 'missing';
    for (const s of successes) {
      const kept = new Set(snapshot.successes[s.member] ?? []);
      if (s.list.some((t) => !kept.has(t))) return 'missing';
    }
  }
  return relevant ? 'applied' : 'irrelevant';
}

/**
 * Every record acknowledged (a delivery answered 2xx, a batch whose handler resolved) must be in the protector state
 * (its events and successes in the stored snapshot) or in the poison table (its body, alone or inside a whole
 * poisoned message). `rawMessages` are acknowledged messages that were not JSON: kept whole in the poison table.
 */
export function unappliedRecords(index: EstateIndex, records: readonly unknown[], rawMessages: readonly string[], stored: StoredState): Check & { readonly applied: number; readonly poisoned: number; readonly irrelevant: number } {
  const bodies = new Set(stored.poisonBodies);
  // Whole poisoned messages (and truncated bodies) are long: only those are searched, and only for the first
  // thousand records not found at once (past that the count is what matters, not the search).
  const long = stored.poisonBodies.filter((b) => b.length >= 200);
  let searched = 0;
  const inPoison = (text: string): boolean => {
    if (bodies.has(text)) return true;
    if (long.length === 0 || searched++ > 1000) return false;
    return long.some((b) => b.includes(text) || (text.length > 1000 && b.startsWith(text.slice(0, 1000))));
  };
  const details: string[] = [];
  let appliedCount = 0;
  let poisoned = 0;
  let irrelevant = 0;
  for (const record of records) {
    const text = JSON.stringify(record) ?? String(record);
    const verdict = applied(index, record, stored);
    if (verdict === 'applied') appliedCount++;
    else if (verdict === 'irrelevant') irrelevant++;
    else if (inPoison(text)) poisoned++;
    else details.push(`${verdict === 'rejected' ? 'rejected record not in the poison table' : 'record neither in the state nor poisoned'}: ${text.slice(0, 160)}`);
  }
  for (const raw of rawMessages) {
    if (inPoison(raw)) poisoned++;
    else details.push(`message not in the poison table: ${raw.slice(0, 80)}`);
  }
  return { ...check(details), applied: appliedCount, poisoned, irrelevant };
}

// ─── I5: the same state as a clean run ──────────────────────────────────────────────────────────────────────────

export interface ProtectorView {
  readonly incidents: readonly Incident[];
  readonly findings: readonly Finding[];
}

/** Incidents and findings the chaotic run shows that a clean run of the same records does not, and the reverse. */
export function stateDifferences(chaotic: ReadonlyMap<string, ProtectorView>, clean: ReadonlyMap<string, ProtectorView>): Check {
  const details: string[] = [];
  let count = 0;
  for (const id of new Set([...chaotic.keys(), ...clean.keys()])) {
    const items = (v: ProtectorView | undefined): Set<string> =>
      new Set([...(v?.incidents ?? []).map((i) => `incident ${JSON.stringify(i)}`), ...(v?.findings ?? []).map((f) => `finding ${JSON.stringify(f)}`)]);
    const a = items(chaotic.get(id));
    const b = items(clean.get(id));
    const onlyChaotic = [...a].filter((x) => !b.has(x));
    const onlyClean = [...b].filter((x) => !a.has(x));
    count += onlyChaotic.length + onlyClean.length;
    for (const x of onlyChaotic) details.push(`${id}: only after chaos: ${x.slice(0, 300)}`);
    for (const x of onlyClean) details.push(`${id}: only in the clean run: ${x.slice(0, 300)}`);
  }
  return check(details, count);
}

// ─── I7: one email per transition per recipient ─────────────────────────────────────────────────────────────────

export interface SentEmail {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

interface Announced {
  readonly protector: string;
  readonly member: string;
  readonly cause: string;
  readonly stage: string;
}

/** The incident blocks of an alert's text (`Protector: …`, `Member: …`, `Cause: …`, `Stage: …`). */
export function announcedIn(text: string): Announced[] {
  const out: Announced[] = [];
  let current: Partial<Record<keyof Announced, string>> = {};
  for (const line of text.split('\n')) {
    const m = /^(Protector|Member|Cause|Stage):\s+(\S+)/.exec(line);
    if (!m?.[1] || !m[2]) continue;
    const field = m[1].toLowerCase() as keyof Announced;
    if (field === 'protector') current = {};
    current[field] = m[2];
    if (field === 'stage' && current.protector && current.member && current.cause) out.push({ protector: current.protector, member: current.member.toLowerCase(), cause: current.cause, stage: current.stage ?? m[2] });
  }
  return out;
}

const OPEN = ['at_risk', 'access_lost', 'inaccessible', 'autoheal_expired'];

/**
 * Against the final incidents: an email for the same transition to the same recipient more than once per episode
 * (twice), and a recipient never told of an incident's current stage — or of its resolution after being told it
 * opened (never). An escalation counts apart from the stage it escalates.
 */
export function alertErrors(emails: readonly SentEmail[], incidents: readonly Incident[], recipients: readonly string[]): Check & { readonly twice: number; readonly never: number } {
  const sent = new Map<string, number>();
  const keyOf = (r: string, a: Announced, kind: string) => `${r.toLowerCase()}|${a.protector}|${a.member}|${a.cause}|${a.stage}|${kind}`;
  for (const e of emails) {
    const kind = /ESCALATION/.test(e.subject) ? 'escalation' : 'stage';
    for (const a of announcedIn(e.text)) for (const r of e.to) sent.set(keyOf(r, a, kind), (sent.get(keyOf(r, a, kind)) ?? 0) + 1);
  }
  const episodes = new Map<string, number>();
  for (const i of incidents) episodes.set(`${i.protector}|${i.member.toLowerCase()}|${i.cause}`, i.episode + 1);
  const details: string[] = [];
  let twice = 0;
  let never = 0;
  for (const [k, n] of sent) {
    const [r, p, m, c, stage, kind] = k.split('|');
    const allowed = episodes.get(`${p}|${m}|${c}`) ?? 1;
    if (n > allowed) {
      twice += n - allowed;
      details.push(`${n} emails to ${r} for ${p} / ${m?.split('/').pop()} ${c} ${stage}${kind === 'escalation' ? ' (escalation)' : ''}, at most ${allowed} expected`);
    }
  }
  for (const i of incidents) {
    const member = i.member.toLowerCase();
    for (const r of recipients) {
      const count = (stage: string) => sent.get(keyOf(r, { protector: i.protector, member, cause: i.cause, stage }, 'stage')) ?? 0;
      const toldOpen = OPEN.some((s) => count(s) > 0);
      const missing = i.stage === 'resolved' ? toldOpen && count('resolved') === 0 : count(i.stage) === 0;
      if (missing) {
        never++;
        details.push(`${r} never told ${i.protector} / ${member.split('/').pop()} ${i.cause} is ${i.stage}`);
      }
    }
  }
  return { ...check(details, twice + never), twice, never };
}

// ─── I8: no secrets in logs, job payloads or Redis ──────────────────────────────────────────────────────────────

export interface Secret {
  readonly name: string;
  readonly value: string;
}

export interface Scanned {
  /** Where the text came from: a process's output, a Redis key. */
  readonly where: string;
  readonly text: string;
}

const MIN_SECRET = 12;

/** The forms a secret could leak in: as given, and — for one that is base64 or base64url of ≥ 16 bytes — its bytes in the other encodings. */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value]);
  const b64 = value.replace(/^whsec_/, '');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64) && b64.length >= 22) {
    const bytes = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length >= 16) for (const f of [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), b64]) forms.add(f);
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET);
}

/** Each (secret, place) where some form of the secret appears. Details name the secret, never its value. */
export function secretsFound(texts: readonly Scanned[], secrets: readonly Secret[]): Check {
  const details: string[] = [];
  for (const s of secrets) {
    const forms = secretForms(s.value);
    for (const t of texts) if (forms.some((f) => t.text.includes(f))) details.push(`${s.name} in ${t.where}`);
  }
  return check(details);
}

// ─── At most one running rotation per protector (DESIGN.md §4.5) ─────────────────────────────────────────────────

export interface RunSpan {
  readonly id: string;
  readonly protector: string;
  readonly start: number;
  /** Null: still running. */
  readonly end: number | null;
}

export function concurrentRuns(runs: readonly RunSpan[]): Check {
  const details: string[] = [];
  runs.forEach((a, i) => {
    for (const b of runs.slice(i + 1)) {
      if (a.protector !== b.protector) continue;
      if (a.start < (b.end ?? Infinity) && b.start < (a.end ?? Infinity)) details.push(`${a.protector}: runs ${a.id} and ${b.id} ran at the same time`);
    }
  });
  return check(details);
}
