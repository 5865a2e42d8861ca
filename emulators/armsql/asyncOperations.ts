// Async mode: a write answers 202 + `Azure-AsyncOperation`, and the operation's status resource says how it ended
// (`{"name","status","startTime","error"?}`), which is how core-lro's poller learns of a refusal. The write itself
// is decided (and applied) when it arrives; the status only reveals it after `asyncPolls` InProgress answers.
import { randomUUID } from 'node:crypto';
import type { ArmError } from '../arm/errors.js';

export type OperationKind = 'serverKeyAzureAsyncOperation' | 'encryptionProtectorAzureAsyncOperation' | 'failoverGroupAzureAsyncOperation';

interface Operation {
  readonly startTime: string;
  readonly error: ArmError | null;
  pollsLeft: number;
}

export class AsyncOperations {
  private readonly ops = new Map<string, Operation>();

  constructor(private readonly inProgressPolls: number) {}

  start(startTime: string, error: ArmError | null): string {
    const id = randomUUID();
    this.ops.set(id, { startTime, error, pollsLeft: this.inProgressPolls });
    return id;
  }

  /** The status body, or null for an unknown operation id. */
  poll(id: string): unknown {
    const op = this.ops.get(id.toLowerCase());
    if (!op) return null;
    if (op.pollsLeft > 0) {
      op.pollsLeft--;
      return { name: id, status: 'InProgress', startTime: op.startTime };
    }
    return op.error
      ? { name: id, status: 'Failed', startTime: op.startTime, error: { code: op.error.code, message: op.error.message } }
      : { name: id, status: 'Succeeded', startTime: op.startTime };
  }
}

export function operationUrl(endpoint: string, subscriptionId: string, location: string, kind: OperationKind, id: string): string {
  return `${endpoint}/subscriptions/${subscriptionId}/providers/Microsoft.Sql/locations/${location}/${kind}/${id}?api-version=2020-11-01-preview`;
}
