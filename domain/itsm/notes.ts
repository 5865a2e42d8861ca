// What keysteward writes back to the ticket (ServiceNow work notes, Jira comments): plain text naming the request,
// the run, each member switched, the new key version per vault and its thumbprint. Identifiers and thumbprints only —
// never key material, tokens or secrets (I8). Each note has a stable id (request + event), so the outbox holds it
// once however often it is produced.
import type { RotationPlan } from '../rotation/steps.js';
import type { RotationRun, RunStep } from '../rotation/run.js';
import type { ItsmRequest } from './request.js';
import { ticketLabel } from './request.js';

export interface TicketNote {
  /** Stable per (request, event): the outbox entry's id. */
  readonly id: string;
  readonly text: string;
}

const clip = (s: string, max = 500): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const lines = (...parts: Array<string | false | null | undefined>): string => parts.filter((p): p is string => typeof p === 'string').join('\n');

function noteId(request: ItsmRequest, event: string): string {
  return `${request.id}-${event}`;
}

export function acceptedNote(request: ItsmRequest): TicketNote {
  return {
    id: noteId(request, 'accepted'),
    text: lines(
      `keysteward received rotation request ${request.id} for ${ticketLabel(request.ticket)} (${request.action}${request.requestedProtector ? `, protector ${request.requestedProtector}` : ''}).`,
      request.assurance === 'token' ? 'It came with a bearer token only (lower assurance): nothing in it is acted on; the protector and the approval are read from this ticket.' : null,
      'Nothing runs until keysteward has read this change itself and found it approved, in a state that allows implementation, and inside its planned window.',
    ),
  };
}

/** A note per state change worth telling the change owner about (not every re-check). */
export function stateNote(request: ItsmRequest): TicketNote | null {
  switch (request.state) {
    case 'refused':
      return { id: noteId(request, 'refused'), text: `keysteward refused rotation request ${request.id}: ${clip(request.reason)}. No key version was created and nothing changed.` };
    case 'expired':
      return { id: noteId(request, 'expired'), text: `keysteward rotation request ${request.id} expired: ${clip(request.reason)}. No rotation ran; no key version was created.` };
    case 'approved':
      return { id: noteId(request, 'approved'), text: `keysteward found the change ready: ${clip(request.reason)}. Starting the preflight checks of protector ${request.protector ?? '?'}.` };
    default:
      return null;
  }
}

/** The preflight refused the rotation: which checks failed, so the change owner can fix them and re-send. */
export function preflightRefusedNote(request: ItsmRequest, run: RotationRun): TicketNote {
  const failed = run.preflight.filter((p) => !p.ok).map((p) => `- ${p.check}: ${clip(p.reason, 300)}`);
  return { id: noteId(request, 'refused'), text: lines(`keysteward refused rotation ${run.id} of ${run.protector}: the preflight failed. Nothing was changed.`, ...failed) };
}

export function dryRunNote(request: ItsmRequest, plan: RotationPlan): TicketNote {
  const preflight = plan.preflight.map((p) => `- ${p.ok ? 'ok' : 'FAILS'} ${p.check}${p.ok ? '' : `: ${clip(p.reason, 300)}`}`);
  const steps = plan.steps.map((s) => `${s.n}. ${s.kind}${s.role ? ` (${s.role})` : ''}${s.vault ? ` vault ${s.vault}` : ''}${s.member ? ` ${shortName(s.member)}` : ''}`);
  return { id: noteId(request, 'dry-run'), text: lines(`keysteward dry run of the rotation of ${plan.protector} (strategy ${plan.strategy}); nothing was changed.`, 'Preflight:', ...preflight, 'Steps it would run:', ...steps) };
}

export function runStartedNote(request: ItsmRequest, run: RotationRun): TicketNote {
  const order = run.steps.filter((s) => s.kind === 'switch-protector' || s.kind === 'install-version' || s.kind === 'rotate-key').map((s) => `${s.kind} ${s.role ?? ''} ${s.vault ?? shortName(s.member ?? '')}`.replace(/\s+/g, ' ').trim());
  return { id: noteId(request, 'run-started'), text: lines(`keysteward started rotation ${run.id} of ${run.protector} (strategy ${run.strategy}, ${run.steps.length} steps; secondaries before the primary).`, ...order.map((o) => `- ${o}`)) };
}

/** The new version the run put into `vault` (install-version or rotate-key outcome). */
function installed(run: RotationRun, vault: string | undefined): RunStep['outcome'] | undefined {
  return run.steps.find((s) => (s.kind === 'install-version' || s.kind === 'rotate-key') && s.vault === vault && s.status === 'done')?.outcome;
}

/** One note per finished step that changed what a member or its data uses: a protector switched, DEKs rewrapped. */
export function stepNote(request: ItsmRequest, run: RotationRun, step: RunStep): TicketNote | null {
  if (step.status !== 'done') return null;
  if (step.kind === 'switch-protector') {
    const material = installed(run, step.vault);
    return {
      id: noteId(request, `step-${step.n}`),
      text: `keysteward rotation ${run.id}: ${shortName(step.member ?? '')} (${step.role ?? 'member'}) now uses ${step.outcome?.kid ?? `version ${step.outcome?.version ?? '?'}`} (thumbprint ${material?.thumbprint ?? '?'}).`,
    };
  }
  if (step.kind === 'rewrap-deks') return { id: noteId(request, `step-${step.n}`), text: `keysteward rotation ${run.id}: ${clip(step.outcome?.note ?? 'data encryption keys rewrapped')}.` };
  return null;
}

export function runEndedNote(request: ItsmRequest, run: RotationRun): TicketNote | null {
  if (run.status === 'completed') {
    const versions = run.steps.filter((s) => (s.kind === 'install-version' || s.kind === 'rotate-key') && s.outcome?.version).map((s) => `- ${s.vault}: version ${s.outcome?.version} (thumbprint ${s.outcome?.thumbprint ?? '?'})`);
    return { id: noteId(request, 'completed'), text: lines(`keysteward rotation ${run.id} of ${run.protector} completed.`, 'New key version per vault:', ...versions, 'Previous versions stay enabled (backups and replicas may need them); nothing was disabled or deleted.') };
  }
  if (run.status === 'failed-needs-operator' || run.status === 'refused') {
    const failed = run.steps.find((s) => s.status === 'failed');
    const where = failed ? `step ${failed.n} ${failed.kind}${failed.role ? ` (${failed.role})` : ''}${failed.vault ? ` vault ${failed.vault}` : ''}${failed.member ? ` ${shortName(failed.member)}` : ''}` : 'a step';
    return {
      id: noteId(request, 'failed'),
      text: `keysteward rotation ${run.id} of ${run.protector} failed at ${where}: ${failed?.error ? `${failed.error.code} — ${clip(failed.error.message)}` : run.status}. It needs an operator; nothing was disabled or deleted, and no primary step runs after a failed secondary step.`,
    };
  }
  return null;
}

/** The last segment of an ARM id (the server's name), which is what a change owner recognises. */
function shortName(resourceId: string): string {
  return resourceId.split('/').filter(Boolean).pop() ?? resourceId;
}
