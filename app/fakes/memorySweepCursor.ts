// In-memory SweepCursor for app/ tests; passes the same contract suite as the Redis adapter.
import type { SweepCursor } from '../ports.js';

export class MemorySweepCursor implements SweepCursor {
  private position: string | null = null;

  async load(): Promise<string | null> {
    return this.position;
  }

  async save(position: string | null): Promise<void> {
    this.position = position;
  }
}
