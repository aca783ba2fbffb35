import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../agent/config/schema.js';
import { makeReport } from '../../../agent/reports/make.js';
import { isoSecond } from '../../../agent/reports/round.js';
import { ReportScheduler, type ScheduleRun } from '../../../agent/reports/schedule.js';
import { lastScheduledRun, runScheduledReport } from '../../../agent/reports/scheduled.js';
import { openStore } from '../../../agent/state/open.js';
import type { Store } from '../../../agent/state/store.js';

// Schedules on real timers with per-second cron expressions (node-cron), over a real SQLite
// store: runs fire, a run never overlaps the previous one, a run missed while the agent was
// down is made once at start and says so.

const quiet = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('report schedules', () => {
  let dir: string;
  let store: Store;
  let scheduler: ReportScheduler | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-schedule-'));
    store = await openStore({ dataDir: dir });
  });
  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a per-second schedule fires, and a run slower than the interval never overlaps the next', async () => {
    const runs: { start: number; end: number }[] = [];
    scheduler = new ReportScheduler({
      schedules: [{ name: 'every-second', cron: '* * * * * *', kind: 'custom' }],
      timeZone: 'UTC',
      log: quiet,
      lastRun: async () => null,
      run: async () => {
        const start = Date.now();
        await sleep(1500);
        runs.push({ start, end: Date.now() });
      },
    });
    await scheduler.start();
    await sleep(6000);
    await scheduler.stop();
    expect(runs.length).toBeGreaterThanOrEqual(2);
    // six seconds of fires: overlapping runs would have made five or six
    expect(runs.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < runs.length; i += 1) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
  }, 20_000);

  it('a run missed while the agent was down is made once at start, says so, and the schedule goes on', async () => {
    const config = configSchema.parse({ dataDir: dir, reports: { enabled: true, formats: ['md', 'json'] } });
    // the schedule last ran 10 s ago: its fires since then were missed
    const lastRan = Date.now() - 10_000;
    await makeReport(store, {
      kind: 'custom',
      from: lastRan - 60_000,
      to: lastRan,
      now: lastRan,
      trigger: { schedule: 'every-2s', scheduledFor: isoSecond(lastRan), missed: false },
    });
    expect(await lastScheduledRun(store, 'every-2s')).toBe(Date.parse(isoSecond(lastRan)));
    const runs: ScheduleRun[] = [];
    const files: string[] = [];
    scheduler = new ReportScheduler({
      schedules: [{ name: 'every-2s', cron: '*/2 * * * * *', kind: 'custom', period: '1m' }],
      timeZone: 'UTC',
      log: quiet,
      lastRun: (name) => lastScheduledRun(store, name),
      run: async (run) => {
        runs.push(run);
        const report = await runScheduledReport(store, config, run, quiet);
        files.push(join(dir, 'reports', `${report.id}.md`));
      },
    });
    const startedAt = Date.now();
    await scheduler.start(startedAt);
    // caught up once, before any timer fired: the latest missed fire time
    expect(runs).toHaveLength(1);
    expect(runs[0]!.missed).toBe(true);
    expect(runs[0]!.at).toBeGreaterThan(lastRan);
    expect(runs[0]!.at).toBeLessThanOrEqual(startedAt);
    expect(new Date(runs[0]!.at).getUTCSeconds() % 2).toBe(0);
    expect(existsSync(files[0]!)).toBe(true);
    expect(readFileSync(files[0]!, 'utf8')).toMatch(
      /run of .* was missed while the agent was down: made at its next start/,
    );
    await sleep(4500);
    await scheduler.stop();
    expect(runs.filter((r) => r.missed)).toHaveLength(1);
    expect(runs.filter((r) => !r.missed).length).toBeGreaterThanOrEqual(1);
    // every run is a stored report of that schedule; the latest one is what the next start counts from
    expect(await lastScheduledRun(store, 'every-2s')).toBe(runs.at(-1)!.at);
  }, 20_000);

  it('a schedule with a broken cron expression is a one-line error at start', () => {
    expect(
      () =>
        new ReportScheduler({
          schedules: [{ name: 'bad', cron: '61 * * * *', kind: 'daily' }],
          timeZone: 'UTC',
          log: quiet,
          lastRun: async () => null,
          run: async () => undefined,
        }),
    ).toThrow('reports.schedules "bad": cron "61 * * * *" is not a valid expression');
  });
});
