// Timer triggers for the standalone host: croner reads the same six-field schedules as Azure Functions.
// A tick never overlaps the previous run of the same timer (protect), and a failure is logged, not thrown.
import { Cron } from 'croner';
import type { Logger } from '../../app/ports.js';
import type { FunctionDefinition, TimerTrigger } from '../../functions/definitions.js';

type TimerDefinition = Extract<FunctionDefinition, { trigger: TimerTrigger }>;

export function startTimers(definitions: readonly FunctionDefinition[], log: Logger): { stop(): void } {
  const jobs: Cron[] = [];
  for (const def of definitions) {
    if (def.trigger.type !== 'timer') continue;
    const timer = def as TimerDefinition;
    const run = async (): Promise<void> => {
      try {
        await timer.handler();
      } catch (err) {
        log.error({ timer: def.name, error: err instanceof Error ? err.message : String(err) }, 'timer run failed');
      }
    };
    jobs.push(new Cron(timer.trigger.schedule, { protect: true, timezone: 'UTC' }, run));
    if (timer.trigger.runOnStartup) void run();
  }
  return { stop: () => jobs.forEach((j) => j.stop()) };
}
