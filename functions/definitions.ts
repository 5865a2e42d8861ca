// One list of function definitions, consumed by two hosts: the Azure Functions host (functions/index.ts) and the
// standalone host (`keysteward serve`). Handlers are host-neutral: each host translates its own trigger shapes
// (InvocationContext metadata, node http requests, croner ticks) into these inputs, so both run the same code.

/** Function-level retry for Event Hubs triggers: the checkpoint waits while the batch is retried. */
export interface RetryOptions {
  readonly strategy: 'exponentialBackoff';
  readonly maxRetryCount: number;
  readonly minimumIntervalMs: number;
  readonly maximumIntervalMs: number;
}

export interface EventHubTrigger {
  readonly type: 'eventHub';
  /** App-setting name (or prefix for identity-based connections: `<name>__fullyQualifiedNamespace`). */
  readonly connection: string;
  readonly eventHubName: string;
  readonly consumerGroup: string;
  readonly cardinality: 'many';
  readonly retry: RetryOptions;
}

export interface TimerTrigger {
  readonly type: 'timer';
  /** Six-field NCRONTAB (with seconds), as Azure Functions and croner read it. */
  readonly schedule: string;
  readonly runOnStartup: boolean;
}

export interface HttpTrigger {
  readonly type: 'http';
  readonly methods: ReadonlyArray<'GET' | 'POST' | 'OPTIONS'>;
  /** Route under /api, with `{param}` segments (Azure Functions syntax). */
  readonly route: string;
  /** Largest request body accepted (bytes); both hosts answer 413 past it. Default DEFAULT_MAX_BODY_BYTES. */
  readonly maxBodyBytes?: number;
  /**
   * A long-lived streamed answer (server-sent events): served by the standalone host only — the Function App does not
   * register it (a Functions HTTP invocation is not meant to stay open), and its clients fall back to polling.
   */
  readonly streaming?: boolean;
  /** The standalone host also serves it at `/<route without its first segment>` (the console at `/`, `/protectors/{id}`…). */
  readonly rootAlias?: boolean;
  /** A route of the operator console (its authentication may be App Service's: FunctionsConfig.consoleAuth). */
  readonly console?: boolean;
}

/** Body limit of a route that names none: the API's own requests are small JSON objects, or nothing (GET). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

export function maxBodyBytesOf(trigger: HttpTrigger): number {
  return trigger.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
}

export interface EventHubInput {
  readonly messages: readonly unknown[];
  readonly partitionId: string;
  readonly offsets: readonly string[];
  readonly sequenceNumbers: readonly number[];
  /** On the last retry the handler must not throw (the host would skip the batch): it poisons instead. */
  readonly lastAttempt: boolean;
}

export interface HttpInput {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Lower-case names; a repeated header is folded (", "), and named in `duplicatedHeaders` when the host can tell. */
  readonly headers: Readonly<Record<string, string>>;
  readonly duplicatedHeaders?: readonly string[];
  readonly rawBody: Buffer;
  /** The request's path as received (the console builds its links relative to where it is served). */
  readonly path?: string;
}

export interface HttpOutput {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly jsonBody?: unknown;
  readonly body?: string;
  /**
   * A streamed body (streaming routes only): called once headers are sent; `write` sends a chunk, `closed` aborts when
   * the client goes away or the host stops. The response ends when the returned promise settles.
   */
  readonly stream?: (write: (chunk: string) => void, closed: AbortSignal) => Promise<void>;
}

export type FunctionDefinition =
  | { readonly name: string; readonly trigger: EventHubTrigger; readonly handler: (input: EventHubInput) => Promise<void> }
  | { readonly name: string; readonly trigger: TimerTrigger; readonly handler: () => Promise<void> }
  | { readonly name: string; readonly trigger: HttpTrigger; readonly handler: (req: HttpInput) => Promise<HttpOutput> };
