// Executes one step of a rotation run. Every step first checks whether its effect already exists (a key version
// tagged with the run id; the ARM protector state), so a stalled and re-run step does nothing twice (I1). The run
// record is advanced with compare-and-set; a step refused by I2 ordering waits; a non-retryable failure fails
// the run (`failed-needs-operator`) and the queue fails its parents, so no primary step runs after a failed
// secondary one.
import type { InventoryVersion, Protector } from '../../domain/estate/model.js';
import type { EstateSource } from '../estateSource.js';
import { randomUUID } from 'node:crypto';
import { blockedBy, isTerminal, type RotationRun, type RunStep, type StepOutcome } from '../../domain/rotation/run.js';
import type { ClaimClock } from '../claimClock.js';
import type { Clock, Logger } from '../ports.js';
import { claim, finish, giveUp, release, renew } from './stepClaims.js';
import { ClaimTimeUnknownError, NonRetryableStepError, StepNotReadyError } from './stepErrors.js';
import { generateRsaMaterial, sealMaterial, unsealMaterial } from './material.js';
import type { ProtectorSwitchPort, RotationKeys, RotationLedger } from './ports.js';
import { runCekRewrapCampaign } from '../rewrap/cekCampaign.js';
import { annotate } from '../telemetry.js';
import { CekAccessError, type CekCatalogs } from '../rewrap/cekPorts.js';
import type { KeyWrapper } from '../rewrap/ports.js';
import type { VaultBudget } from '../rewrap/vaultBudget.js';
import { successorExpiry } from '../../domain/rotation/expiry.js';

export const ROTATION_TAG = 'keysteward-rotation';

export interface RotationDeps {
  /** Read at each step: a step acts on the protector's members as the estate in use names them now. */
  readonly estates: EstateSource;
  readonly ledger: RotationLedger;
  readonly keys: RotationKeys;
  readonly protectors: ProtectorSwitchPort;
  /** This process's clock: the pacing of waits and the queue's retry times. Never used to judge a claim. */
  readonly clock: Clock;
  /**
   * The one time source of every claim decision (claim, renewal, completion, giving up), shared by all workers: Redis
   * `TIME` in the hosts. Unreadable, the worker does not act and the step is retried later.
   */
  readonly claimClock: ClaimClock;
  readonly log: Logger;
  /** Data-plane URL of a vault, e.g. `https://<vault>.vault.azure.net/`: server keys name versions by full kid. */
  readonly vaultUrl: (vault: string) => string;
  /**
   * How long a worker's claim on a step lasts without renewal (default 30 s; hosts use ROTATION_LOCK_MS). A step
   * abandoned by a killed worker is taken over once it lapses.
   */
  readonly claimMs?: number;
  /** A fresh claim token (default randomUUID). */
  readonly newToken?: () => string;
  /**
   * Each vault's key-creation budget (limits.md K6: 20 software / 10 HSM creations per 10 s; an HSM creation weighs 2),
   * shared by every instance: imports and rotations wait their turn on it, in order, rather than collect 429s.
   * Absent, they are sent at once and a 429 is waited out by the SDK and the queue's retries.
   */
  readonly creates?: VaultBudget;
  /** What the `rewrap-deks` step of a cosmos-always-encrypted rotation needs; absent, that step fails the run. */
  readonly alwaysEncrypted?: AlwaysEncryptedRewrap;
}

export interface AlwaysEncryptedRewrap {
  readonly catalogs: CekCatalogs;
  readonly wrapper: KeyWrapper;
  /** Shared by every campaign on a vault (and every instance, when it lives in Redis). */
  readonly budget?: VaultBudget;
  /** Budget units per second a campaign may spend on the vault. */
  readonly vaultBudgetPerSec: number;
  readonly concurrency: number;
}

export { ClaimTimeUnknownError, NonRetryableStepError, StepNotReadyError } from './stepErrors.js';

export type StepResult = 'done' | 'already-done' | 'run-ended';

function protectorOf(deps: RotationDeps, run: RotationRun): Protector {
  const p = deps.estates.current().estate.protectors.find((x) => x.id === run.protector);
  if (!p) throw new NonRetryableStepError('unknown_protector', `protector ${run.protector} is not in the estate`);
  return p;
}

const tagged = (versions: readonly InventoryVersion[], runId: string): InventoryVersion | undefined => versions.find((v) => v.tags[ROTATION_TAG] === runId);

function newest(versions: readonly InventoryVersion[]): InventoryVersion | undefined {
  return [...versions].filter((v) => v.enabled).sort((a, b) => (a.created ?? 0) - (b.created ?? 0)).pop();
}

function kidOf(run: RotationRun, vault: string): StepOutcome | undefined {
  return run.steps.find((s) => (s.kind === 'install-version' || s.kind === 'rotate-key') && s.vault === vault && s.status === 'done')?.outcome;
}

/**
 * Re-checks, in the ledger, that this worker still holds the step right before an effect outside it, and records
 * with the renewal what a re-run must find again should this worker crash right after the effect.
 */
type Fence = (record?: Pick<RunStep, 'seenBefore'>) => Promise<void>;

async function perform(deps: RotationDeps, run: RotationRun, step: RunStep, fence: Fence, signal: AbortSignal): Promise<StepOutcome> {
  const protector = protectorOf(deps, run);
  const key = protector.keyName;
  switch (step.kind) {
    case 'preflight': {
      // A run goes ahead only while it holds its protector's lock, confirmed here by compare-and-set: a run recorded but
      // not yet confirmed by its starter (and queued meanwhile by the queue's reconcile) cannot then also lose the lock
      // to a takeover, and a run whose lock was taken over stops here.
      if (!(await deps.ledger.confirmLock(run.protector, run.id))) {
        const holder = await deps.ledger.lockHolder(run.protector);
        throw new NonRetryableStepError('lock_not_held', `the protector's rotation lock is held by ${holder?.runId ?? 'no run'}, not by this run`);
      }
      // Live re-check of what the plan judged: every vault reachable, the key RSA 2048/3072.
      for (const vault of new Set(protector.members.map((m) => m.vault))) {
        const current = newest(await deps.keys.listVersions(vault, key));
        if (!current) throw new NonRetryableStepError('no_current_version', `vault ${vault} holds no enabled version of ${key}`);
        if (!current.kty?.startsWith('RSA') || (current.size !== 2048 && current.size !== 3072)) {
          throw new NonRetryableStepError('unsupported_key', `${vault}/${key} is ${current.kty} ${current.size}: TDE needs RSA 2048 or 3072`);
        }
      }
      if (protector.kind === 'cosmos-always-encrypted') await preflightAlwaysEncrypted(deps, protector);
      return { note: protector.kind === 'cosmos-always-encrypted' ? 'vaults reachable; key type RSA 2048/3072; Cosmos client encryption keys readable with the account key' : 'vaults reachable; key type RSA 2048/3072' };
    }
    case 'create-material': {
      if (await deps.ledger.getStaged(run.id)) return { note: 'material already staged' };
      const first = run.steps.find((s) => s.kind === 'install-version')?.vault ?? protector.members[0]?.vault ?? '';
      const staging = newest(await deps.keys.listVersions(first, key));
      if (!staging) throw new NonRetryableStepError('no_staging_key', `no enabled version of ${key} in ${first} to seal the new material`);
      const bits = protector.rotation?.keySize ?? (staging.size === 2048 ? 2048 : 3072);
      const jwk = await generateRsaMaterial(bits);
      await deps.ledger.putStaged(run.id, await sealMaterial(deps.keys, { vault: first, keyName: key, version: staging.version }, jwk));
      return { note: `RSA-${bits} material generated and staged sealed` };
    }
    case 'install-version': {
      const vault = step.vault as string;
      const versions = await deps.keys.listVersions(vault, key);
      const done = tagged(versions, run.id);
      if (done) return { version: done.version, thumbprint: done.thumbprint, note: 'already installed' };
      const sealed = await deps.ledger.getStaged(run.id);
      if (!sealed) throw new NonRetryableStepError('material_lost', 'the staged material is gone before every vault holds it');
      const jwk = await unsealMaterial(deps.keys, sealed);
      const hsm = newest(versions)?.kty === 'RSA-HSM' || protector.rotation?.keyType === 'RSA-HSM';
      // The vault's creation budget first, then the fence: the claim is checked right before the import itself.
      await deps.creates?.acquire(vault, hsm ? 2 : 1);
      await fence();
      const created = await deps.keys.importVersion(vault, key, jwk, { [ROTATION_TAG]: run.id }, hsm, successorExpiry(versions, deps.clock.now()));
      return { kid: created.kid, version: created.version, thumbprint: created.thumbprint };
    }
    case 'rotate-key': {
      const vault = step.vault as string;
      const versions = await deps.keys.listVersions(vault, key);
      const done = tagged(versions, run.id);
      if (done) return { version: done.version, thumbprint: done.thumbprint, note: 'already rotated' };
      // A crash between rotate and tag leaves an untagged version: the one the vault did not hold when this step's
      // rotation was fenced (the fence recorded them). Adopt it (I1). No clocks are compared: the run's createdAt is
      // some host's clock and a version's `created` is Key Vault's, and minutes of skew between them would either
      // miss the orphan (a second version) or adopt a version someone else made before the run.
      const seen = step.seenBefore;
      const orphan = seen ? versions.find((v) => !v.tags[ROTATION_TAG] && !seen.includes(v.version)) : undefined;
      if (!orphan) {
        await deps.creates?.acquire(vault, newest(versions)?.kty === 'RSA-HSM' ? 2 : 1);
        await fence({ seenBefore: versions.map((v) => v.version) });
      }
      const created = orphan ? { version: orphan.version, thumbprint: orphan.thumbprint, exp: orphan.exp, created: orphan.created } : await deps.keys.rotate(vault, key);
      // A rotation policy's expiry time, when the key has one, is Key Vault's to set; without it the version keeps the
      // key's lifetime, counted from the version's own creation (Key Vault's clock), not from when it is tagged.
      const expiresOn = created.exp === null ? successorExpiry(versions, created.created ?? deps.clock.now(), created.version) : null;
      await deps.keys.tagVersion(vault, key, created.version, { [ROTATION_TAG]: run.id }, expiresOn);
      return { version: created.version, thumbprint: created.thumbprint };
    }
    case 'verify-thumbprints': {
      const outcomes = run.steps.filter((s) => s.kind === 'install-version' || s.kind === 'rotate-key').map((s) => s.outcome?.thumbprint);
      if (outcomes.some((t) => !t) || new Set(outcomes).size !== 1) throw new NonRetryableStepError('thumbprint_mismatch', 'the vaults do not hold identical new material');
      await deps.ledger.dropStaged(run.id);
      return { thumbprint: outcomes[0] as string };
    }
    case 'switch-protector': {
      const member = protector.members.find((m) => m.resourceId === step.member);
      const installed = member ? kidOf(run, member.vault) : undefined;
      if (!member || !installed?.version) throw new NonRetryableStepError('no_new_version', `no new version recorded for ${step.member}`);
      // The switch order was fixed when the run was planned (secondaries first, I2). A failover since then makes the
      // order wrong: stop for an operator rather than switch the new primary before its secondaries.
      const nowRole = (await deps.estates.fresh()).estate.protectors.find((p) => p.id === run.protector)?.members.find((m) => m.resourceId === step.member)?.role;
      if (step.role !== undefined && nowRole !== undefined && nowRole !== step.role) {
        throw new NonRetryableStepError('topology_changed', `${step.member} is ${nowRole} now, but the run planned it as ${step.role} (a failover during the rotation): start a new rotation to switch in the new order`);
      }
      const kid = `${deps.vaultUrl(member.vault).replace(/\/$/, '')}/keys/${key}/${installed.version}`;
      await fence();
      await deps.protectors.addServerKey(member.resourceId, kid);
      await deps.protectors.setProtector(member.resourceId, kid);
      return { kid, version: installed.version };
    }
    case 'verify': {
      for (const member of protector.kind === 'sql-tde' ? protector.members : []) {
        const expected = kidOf(run, member.vault)?.version;
        const actual = await deps.protectors.getProtector(member.resourceId);
        if (!expected || !actual.kid?.endsWith(`/${expected}`)) throw new NonRetryableStepError('protector_mismatch', `${member.resourceId} protector is ${actual.serverKeyName}, expected version ${expected}`);
      }
      return { note: protector.kind === 'sql-tde' ? 'every member uses the new version' : 'no server protector to check: this kind uses the key version its data is wrapped with' };
    }
    case 'retain-previous': {
      // Nothing is disabled or deleted by a rotation (I3): count what stays enabled for backups and replicas.
      let kept = 0;
      for (const vault of new Set(protector.members.map((m) => m.vault))) kept += (await deps.keys.listVersions(vault, key)).filter((v) => v.enabled && v.tags[ROTATION_TAG] !== run.id).length;
      return { note: `${kept} previous version(s) stay enabled` };
    }
    case 'rewrap-deks':
      return rewrapClientEncryptionKeys(deps, run, protector, signal);
  }
}

/**
 * Before any new version exists: what the final rewrap-deks step will need must be there, or the run would leave a new
 * version with every CEK behind it. Azure refuses client-encryption-key writes made with an Entra ID token
 * (azure-cosmos-dotnet-v3#5546), so the account key's app setting is required.
 */
async function preflightAlwaysEncrypted(deps: RotationDeps, protector: Protector): Promise<void> {
  const target = protector.alwaysEncrypted;
  if (!target) throw new NonRetryableStepError('always_encrypted_not_configured', `protector ${protector.id} names no alwaysEncrypted endpoint and databases in the estate`);
  if (target.keySetting === null) throw new NonRetryableStepError('always_encrypted_needs_account_key', `protector ${protector.id}: Cosmos DB refuses client encryption key writes made with an Entra ID token; name the app setting holding the account key in alwaysEncrypted.keySetting`);
  const ae = deps.alwaysEncrypted;
  if (!ae) throw new NonRetryableStepError('rewrap_not_configured', 'this host has no Cosmos client encryption key rewrap configured');
  try {
    await ae.catalogs.open(target).listDatabases();
  } catch (err) {
    if (err instanceof CekAccessError) throw new NonRetryableStepError('cosmos_denied', err.message);
    throw err;
  }
}

/**
 * Moves every Cosmos client encryption key of the protector's databases from older versions of its key to the one
 * this run created. Idempotent by construction: CEKs already on the new version are skipped. Complete only on a
 * fresh listing with none behind; otherwise the step is retried (and, after its retries, the run needs an operator).
 */
async function rewrapClientEncryptionKeys(deps: RotationDeps, run: RotationRun, protector: Protector, signal: AbortSignal): Promise<StepOutcome> {
  const target = protector.alwaysEncrypted;
  if (!target) throw new NonRetryableStepError('always_encrypted_not_configured', `protector ${protector.id} names no alwaysEncrypted endpoint and databases in the estate`);
  const ae = deps.alwaysEncrypted;
  if (!ae) throw new NonRetryableStepError('rewrap_not_configured', 'this host has no Cosmos client encryption key rewrap configured');
  // The primary's vault: the key the CEKs are wrapped with is the one rotated there (as buildRewrapRequest uses).
  const vault = (protector.members.find((m) => m.role === 'primary') ?? protector.members[0])?.vault ?? '';
  const version = kidOf(run, vault)?.version;
  if (!version) throw new NonRetryableStepError('no_new_version', `no new version recorded for vault ${vault}`);
  const toKid = `${deps.vaultUrl(vault).replace(/\/$/, '')}/keys/${protector.keyName}/${version}`;
  let s;
  try {
    s = await runCekRewrapCampaign(
      { catalog: ae.catalogs.open(target), wrapper: ae.wrapper, clock: deps.clock, logger: deps.log, ...(ae.budget ? { budget: ae.budget } : {}) },
      { databases: target.databases, toKid, vaultBudgetPerSec: ae.vaultBudgetPerSec, concurrency: ae.concurrency, signal },
    );
  } catch (err) {
    if (err instanceof CekAccessError) throw new NonRetryableStepError('rewrap_cosmos_denied', err.message);
    throw err;
  }
  if (s.stopReason === 'access_denied' || s.stopReason === 'key_not_found' || s.stopReason === 'cosmos_denied') throw new NonRetryableStepError(`rewrap_${s.stopReason}`, `rewrap of client encryption keys stopped: ${s.stopReason} (vault ${vault})`);
  // This worker lost its claim mid-campaign (the heartbeat saw it): another worker carries the step on.
  if (s.stopReason === 'aborted') throw new StepNotReadyError('rewrap of client encryption keys stopped: this worker no longer holds the step');
  if (!s.complete) throw new Error(`rewrap of client encryption keys incomplete: ${s.remaining ?? 'unknown'} still behind, ${s.failures} failed`);
  return { kid: toKid, version, note: `${s.rewrapped} client encryption key(s) rewrapped, ${s.alreadyDone} already on it; a fresh listing finds none behind` };
}

/** Runs step n of a run. Throws StepNotReadyError (retry later), NonRetryableStepError (run failed), or a transient error (retry). */
export async function executeStep(deps: RotationDeps, runId: string, n: number): Promise<StepResult> {
  const stored = await deps.ledger.get(runId);
  if (!stored) throw new NonRetryableStepError('unknown_run', `rotation ${runId} is not in the ledger`);
  if (isTerminal(stored.run)) return 'run-ended';
  const step = stored.run.steps.find((s) => s.n === n);
  if (!step) throw new NonRetryableStepError('unknown_step', `rotation ${runId} has no step ${n}`);
  // The span its host opened for this execution (adapters/queue/rotationQueue.ts): which replica the step acts on.
  annotate({ 'keysteward.protector': stored.run.protector, ...(step.vault ? { 'keysteward.vault': step.vault } : {}), ...(step.role ? { 'keysteward.member.role': step.role } : {}) });
  if (step.status === 'done') return 'already-done';
  const blocked = blockedBy(stored.run, n);
  if (blocked) throw new StepNotReadyError(`step ${n} waits: ${blocked}`);

  // Claim the step (fenced, R-2; app/rotation/stepClaims.ts): a live claim of another worker means it is running
  // there — wait, do not run it twice. Ledger writes per step: the claim, one renewal right before each outside
  // effect, and the end, each from the version in hand, each judged at the shared claim time.
  const token = (deps.newToken ?? randomUUID)();
  const claimMs = deps.claimMs ?? 30_000;
  const claimed = await claim(deps, runId, n, token, claimMs, stored);
  if (claimed.kind === 'held') throw new StepNotReadyError(`step ${n} is being run by another worker (its claim runs until ${claimed.until})`, claimed.retryAt);
  if (claimed.kind === 'done') return 'already-done';
  if (claimed.kind === 'ended') return 'run-ended';
  let latest = claimed.stored;
  const fence: Fence = async (record) => {
    const renewed = await renew(deps, runId, n, token, claimMs, latest, record);
    latest = renewed.stored;
    if (renewed.kind === 'lost') throw new StepNotReadyError(`step ${n}: this worker's claim lapsed and may have passed to another; not acting`);
  };
  // Best effort: else the claim just lapses.
  const giveBack = (): Promise<unknown> => release(deps, runId, n, token, latest).catch(() => undefined);
  // Long steps (a rewrap campaign) keep their claim alive; a failed renewal (the claim clock or the ledger unreachable)
  // only means the next fence will refuse. When a renewal finds the claim gone, `lost` aborts what the step is doing
  // (a campaign stops between CEKs).
  const lost = new AbortController();
  const heartbeat = setInterval(
    () =>
      void fence().catch((err: unknown) => {
        if (err instanceof StepNotReadyError && !(err instanceof ClaimTimeUnknownError)) lost.abort();
      }),
    Math.max(1000, Math.floor(claimMs / 3)),
  );
  heartbeat.unref();
  let outcome: StepOutcome | null = null;
  let failure: NonRetryableStepError | null = null;
  try {
    outcome = await perform(deps, latest.run, step, fence, lost.signal).finally(() => clearInterval(heartbeat));
  } catch (err) {
    // Anything but a non-retryable failure: the queue retries the step, and the next attempt may start at once.
    if (!(err instanceof NonRetryableStepError)) {
      await giveBack();
      throw err;
    }
    failure = err;
  }
  const end = failure ? { error: { code: failure.code, message: failure.message } } : { outcome: outcome ?? {} };
  // The end is recorded only by the claim's holder (or when nobody holds the step): a worker whose claim passed on steps
  // back, leaving the step — and the lock and staged material — to the new holder, which finds any effect already there.
  const ended = await finish(deps, runId, n, token, end, latest).catch(async (err: unknown) => {
    await giveBack();
    throw err;
  });
  const d = ended.decision;
  if (d.kind === 'superseded') throw new StepNotReadyError(`step ${n}: another worker holds it now (until ${d.until}); it records the step's end`);
  if (d.kind === 'done') return 'already-done';
  if (d.kind === 'ended') return 'run-ended';
  const after = d.run;
  if (failure) {
    await deps.ledger.releaseLock(after.protector, runId);
    await deps.ledger.dropStaged(runId);
    deps.log.error({ rotation: runId, step: n, kind: step.kind, code: failure.code }, 'rotation failed; needs an operator');
    throw failure;
  }
  deps.log.info({ rotation: runId, step: n, kind: step.kind, vault: step.vault, member: step.member }, 'rotation step done');
  if (after.status === 'completed') await deps.ledger.releaseLock(after.protector, runId);
  return 'done';
}

export type AbandonOutcome =
  | { readonly kind: 'failed' }
  /** Nothing to do: the run had ended. */
  | { readonly kind: 'ended' }
  /** Not failed now — a worker holds a live claim on the step, or the claim clock is unreachable; ask again later. */
  | { readonly kind: 'deferred'; readonly reason: string };

/**
 * The queue gave up on a step (its job ran out of attempts, or failed with its chain): the run needs an operator. Not
 * while a worker holds a live claim on the step (giveUpStep): it is mid-effect, and failing the run would release the
 * protector's lock and drop the staged material under it. Then, or when the shared claim clock cannot be read, the
 * run is left as it is and the outcome says so: the queue reconcile of the sweep asks again (hosts/rotation.ts).
 */
export async function abandonStep(deps: Pick<RotationDeps, 'ledger' | 'claimClock' | 'log'>, runId: string, n: number, reason: string): Promise<AbandonOutcome> {
  const stored = await deps.ledger.get(runId);
  if (!stored || isTerminal(stored.run)) return { kind: 'ended' };
  let given;
  try {
    given = await giveUp(deps, runId, n, { code: 'retries_exhausted', message: reason.slice(0, 500) }, stored);
  } catch (err) {
    if (err instanceof ClaimTimeUnknownError) return { kind: 'deferred', reason: err.message };
    throw err;
  }
  const d = given.decision;
  if (d.kind === 'held') {
    deps.log.warn({ rotation: runId, step: n, until: d.until }, 'the queue gave up on a rotation step a worker still holds; the run is not failed under it');
    return { kind: 'deferred', reason: `a worker holds step ${n} until ${d.until}` };
  }
  if (d.kind === 'ended') return { kind: 'ended' };
  await deps.ledger.releaseLock(d.run.protector, runId);
  await deps.ledger.dropStaged(runId);
  deps.log.error({ rotation: runId, step: n }, 'rotation step gave up after its retries; needs an operator');
  return { kind: 'failed' };
}
