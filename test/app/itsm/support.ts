// The ITSM use cases wired to in-memory fakes, with a clock the tests move: request store, outbox, ticket systems,
// incident index, a job queue that can be "down", and rotations whose runs the test advances by hand.
import { silentLogger } from '../../../adapters/logging/logger.js';
import type { AdvanceDeps, ItsmRotations } from '../../../app/itsm/advance.js';
import { MemoryIncidentTicketIndex } from '../../../app/itsm/fakes/memoryIncidentIndex.js';
import { MemoryItsmOutbox } from '../../../app/itsm/fakes/memoryOutbox.js';
import { MemoryItsmRequestStore } from '../../../app/itsm/fakes/memoryRequestStore.js';
import { MemoryTicketSystem } from '../../../app/itsm/fakes/memoryTicketSystem.js';
import type { ItsmJobQueue } from '../../../app/itsm/ports.js';
import type { StartOptions, StartResult } from '../../../app/rotation/start.js';
import type { Logger } from '../../../app/ports.js';
import { completeStep, failStep, newRun, type RotationRun } from '../../../domain/rotation/run.js';
import type { RotationPlan } from '../../../domain/rotation/steps.js';

export class FakeQueue implements ItsmJobQueue {
  readonly jobs = new Set<string>();
  down = false;
  async enqueue(id: string): Promise<void> {
    if (this.down) return new Promise(() => undefined); // Redis unreachable: the command never answers
    this.jobs.add(id);
  }
  async ensure(ids: readonly string[]): Promise<string[]> {
    if (this.down) return new Promise(() => undefined);
    const added = ids.filter((id) => !this.jobs.has(id));
    for (const id of added) this.jobs.add(id);
    return added;
  }
}

export const PLAN: RotationPlan = {
  protector: 'orders-sql',
  strategy: 'import',
  preflight: [{ check: 'strategy', ok: true, reason: 'import' }],
  steps: [
    { n: 1, kind: 'install-version', role: 'secondary', member: '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-wus', vault: 'kv-wus' },
    { n: 2, kind: 'install-version', role: 'primary', member: '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-eus', vault: 'kv-eus' },
    { n: 3, kind: 'switch-protector', role: 'secondary', member: '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-wus', vault: 'kv-wus' },
    { n: 4, kind: 'switch-protector', role: 'primary', member: '/subscriptions/s/resourcegroups/rg/providers/microsoft.sql/servers/sql-orders-eus', vault: 'kv-eus' },
  ],
};

/** Rotations as startRotation behaves for the ITSM path: a derived run id is adopted, one running run per protector. */
export class FakeRotations implements ItsmRotations {
  readonly runs = new Map<string, RotationRun>();
  readonly starts: Array<{ protector: string; options: StartOptions }> = [];
  plan: RotationPlan = PLAN;
  refuse = false;
  constructor(private readonly now: () => number) {}

  async start(protector: string, options: StartOptions): Promise<StartResult> {
    this.starts.push({ protector, options });
    if (protector !== 'orders-sql' && protector !== 'cards-ae') return { kind: 'unknown-protector' };
    if (options.dryRun) return { kind: 'dry-run', plan: this.plan };
    const existing = options.runId ? this.runs.get(options.runId) : undefined;
    if (existing) return existing.status === 'refused' ? { kind: 'refused', run: existing } : { kind: 'started', run: existing };
    const plan = this.refuse ? { ...this.plan, preflight: [{ check: 'purge_protection', ok: false, reason: 'kv-wus has purge protection off' }] } : this.plan;
    const run = newRun({ ...plan, protector }, options.runId ?? `rot-${protector}-${this.runs.size}`, options.requestedBy, new Date(this.now()).toISOString(), options.origin);
    if (run.status === 'running' && [...this.runs.values()].some((r) => r.protector === protector && r.status === 'running')) return { kind: 'busy', protector };
    this.runs.set(run.id, run);
    return run.status === 'refused' ? { kind: 'refused', run } : { kind: 'started', run };
  }

  async get(id: string): Promise<RotationRun | null> {
    return this.runs.get(id) ?? null;
  }

  /** Completes the run's steps up to `n` with outcomes a real run would record. */
  progress(id: string, upTo: number): void {
    let run = this.runs.get(id);
    if (!run) throw new Error(`no run ${id}`);
    for (const s of run.steps.filter((x) => x.n <= upTo && x.status !== 'done')) {
      const version = String(s.n).repeat(32).slice(0, 32);
      const outcome = s.kind === 'switch-protector' ? { kid: `https://${s.vault}.vault.azure.net/keys/k/${'1'.repeat(32)}`, version: '1'.repeat(32) } : { version, thumbprint: `thumb-${s.vault}` };
      run = completeStep(run, s.n, outcome, new Date(this.now()).toISOString());
    }
    this.runs.set(id, run);
  }

  fail(id: string, n: number): void {
    const run = this.runs.get(id);
    if (!run) throw new Error(`no run ${id}`);
    this.runs.set(id, failStep(run, n, { code: 'keyvault_403_Forbidden', message: 'The user does not have key import permission' }, new Date(this.now()).toISOString()));
  }
}

export class CapturingLog implements Logger {
  readonly lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', fields, message });
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }
  error(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'error', fields, message });
  }
}

export function itsmRig(startIso = '2026-12-04T12:00:00Z') {
  let now = Date.parse(startIso);
  const clock = { now: () => now };
  const store = new MemoryItsmRequestStore();
  const outbox = new MemoryItsmOutbox();
  const servicenow = new MemoryTicketSystem('servicenow');
  const jira = new MemoryTicketSystem('jira');
  const incidents = new MemoryIncidentTicketIndex();
  const queue = new FakeQueue();
  const rotations = new FakeRotations(clock.now);
  const log = new CapturingLog();
  const tickets = (s: 'servicenow' | 'jira') => (s === 'servicenow' ? servicenow : jira);
  const advanceDeps: AdvanceDeps = { store, outbox, tickets, rotations, protectors: new Set(['orders-sql', 'cards-ae']), clock, log: silentLogger, recheckMs: 60_000, progressMs: 5_000 };
  return {
    clock,
    store,
    outbox,
    servicenow,
    jira,
    incidents,
    queue,
    rotations,
    log,
    tickets,
    advanceDeps,
    setNow: (iso: string) => {
      now = Date.parse(iso);
    },
    tick: (ms: number) => {
      now += ms;
    },
  };
}
