// What a rotation step attempt tells the queue besides success: stop the run, or try again later.

/** A failure that retrying cannot fix (403, a refused ARM write, mismatched thumbprints): the run stops. */
export class NonRetryableStepError extends Error {
  override readonly name = 'NonRetryableStepError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Step n may not run yet (an earlier step is not done, another worker holds it): the queue retries it later. */
export class StepNotReadyError extends Error {
  override readonly name: string = 'StepNotReadyError';
  constructor(
    message: string,
    /** When it is worth trying again (epoch ms, this process's clock): the queue delays the job until then without spending an attempt. */
    readonly retryAt: number | null = null,
  ) {
    super(message);
  }
}

/** The shared claim time could not be read: nothing was decided, the step is retried later. */
export class ClaimTimeUnknownError extends StepNotReadyError {
  override readonly name: string = 'ClaimTimeUnknownError';
}
