import cron, { type ScheduledTask } from 'node-cron';
import type { ReportSchedule } from '../config/reports.js';
import type { Logger } from '../log.js';

// Report schedules run by node-cron in their time zone. A schedule never overlaps itself: a run
// that fires while the previous one is still going is skipped and logged. A run missed while
// the agent was down (a fire time between the schedule's last stored run and now) is made once
// at start, and the report says so.

/** What the scheduler needs of a schedule (reports', drills'). */
export interface CronSchedule {
  name: string;
  cron: string;
  timeZone?: string | undefined;
}

export interface ScheduleRun<S extends CronSchedule = ReportSchedule> {
  schedule: S;
  /** the fire time (epoch ms, to the second) */
  at: number;
  /** caught up at start */
  missed: boolean;
}

export interface SchedulerOptions<S extends CronSchedule = ReportSchedule> {
  schedules: readonly S[];
  timeZone: string;
  log: Logger;
  /** makes and delivers one report */
  run(run: ScheduleRun<S>): Promise<void>;
  /** when the schedule last ran (its latest stored report's fire time), or null */
  lastRun(schedule: string): Promise<number | null>;
}

/** a fire time between `after` (exclusive) and `before`, the latest one; null when none */
export function lastFireBetween(task: ScheduledTask, after: number, before: number): number | null {
  const step = task.getPattern().trim().split(/\s+/).length >= 6 ? 1000 : 60_000;
  let t = before - (before % step);
  // at most 31 days of minutes, or one day of seconds
  for (let i = 0; i < 50_000 && t > after; i += 1, t -= step) {
    if (task.match(new Date(t))) return t;
  }
  return null;
}

export class ReportScheduler<S extends CronSchedule = ReportSchedule> {
  private readonly tasks: { schedule: S; task: ScheduledTask }[] = [];
  private readonly running = new Map<string, Promise<void>>();
  /** runs skipped because the previous one was still going, per schedule */
  readonly overlapsSkipped = new Map<string, number>();

  constructor(private readonly options: SchedulerOptions<S>) {
    for (const schedule of options.schedules) {
      if (!cron.validate(schedule.cron))
        throw new Error(
          `reports.schedules "${schedule.name}": cron "${schedule.cron}" is not a valid expression`,
        );
    }
  }

  /** Catches up missed runs (once each), then starts the timers. */
  async start(now = Date.now()): Promise<void> {
    for (const schedule of this.options.schedules) {
      const task = cron.createTask(
        schedule.cron,
        (context) => this.fire(schedule, context.date.getTime(), false),
        {
          name: `report:${schedule.name}`,
          timezone: schedule.timeZone ?? this.options.timeZone,
          noOverlap: true,
          suppressMissedWarning: true,
        },
      );
      this.tasks.push({ schedule, task });
      let last: number | null = null;
      try {
        last = await this.options.lastRun(schedule.name);
      } catch (error) {
        this.options.log.warn(
          { schedule: schedule.name, err: (error as Error).message },
          'report schedule: last run unknown',
        );
      }
      const missed = last === null ? null : lastFireBetween(task, last, now);
      if (missed !== null) {
        this.options.log.warn(
          { schedule: schedule.name, missedAt: new Date(missed).toISOString() },
          'report run missed while the agent was down: making it now, once',
        );
        await this.fire(schedule, missed, true);
      }
    }
    for (const { task } of this.tasks) await task.start();
  }

  private fire(schedule: S, at: number, missed: boolean): Promise<void> {
    if (this.running.has(schedule.name)) {
      this.overlapsSkipped.set(schedule.name, (this.overlapsSkipped.get(schedule.name) ?? 0) + 1);
      this.options.log.warn(
        { schedule: schedule.name },
        'report run skipped: the previous one is still going',
      );
      return Promise.resolve();
    }
    const run = (async () => {
      try {
        await this.options.run({ schedule, at: at - (at % 1000), missed });
      } catch (error) {
        this.options.log.error(
          { schedule: schedule.name, err: (error as Error).message },
          'report run failed',
        );
      } finally {
        this.running.delete(schedule.name);
      }
    })();
    this.running.set(schedule.name, run);
    return run;
  }

  /** Stops the timers and waits for the runs under way. */
  async stop(): Promise<void> {
    for (const { task } of this.tasks) await task.destroy();
    this.tasks.length = 0;
    await Promise.all(this.running.values());
  }
}
