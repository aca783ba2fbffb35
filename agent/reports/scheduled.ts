import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SCHEDULES, reportScheduleSchema } from '../config/reports.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { resolveDataDir } from '../state/open.js';
import type { Store } from '../state/store.js';
import { makeReport } from './make.js';
import type { Report } from './model.js';
import { KIND_LENGTH_MS, parseDuration } from './period.js';
import { type ReportFormat, renderReport } from './render.js';
import { isoSecond } from './round.js';
import { ReportScheduler, type ScheduleRun } from './schedule.js';
import { listReports } from './store.js';

// The agent's scheduled reports: each run makes the report from the store (stored like one
// made on demand), writes its files into the reports directory and prunes files past the
// report retention.

const DAY_MS = 86_400_000;

export function reportsDirectory(config: Config): string {
  return config.reports.directory ?? join(resolveDataDir(config.dataDir), 'reports');
}

/** Writes a report's files; returns their paths. */
export function writeReportFiles(
  directory: string,
  report: Report,
  formats: readonly ReportFormat[],
): string[] {
  mkdirSync(directory, { recursive: true });
  return formats.map((format) => {
    const file = join(directory, `${report.id}.${format}`);
    writeFileSync(file, renderReport(report, format));
    return file;
  });
}

/** Removes report files older than the retention (by modification time). */
export function pruneReportFiles(directory: string, retentionDays: number, now: number): number {
  let removed = 0;
  for (const name of readdirSync(directory)) {
    if (!/\.(md|html|json)$/.test(name)) continue;
    const file = join(directory, name);
    if (now - statSync(file).mtimeMs > retentionDays * DAY_MS) {
      rmSync(file, { force: true });
      removed += 1;
    }
  }
  return removed;
}

export async function runScheduledReport(
  store: Store,
  config: Config,
  run: ScheduleRun,
  log: Logger,
  now = Date.now(),
  /** the agent's own URL: links in webhooks and mails when reports.publicUrl is not set */
  agentUrl = 'http://127.0.0.1:9187',
): Promise<Report> {
  const { schedule } = run;
  const length = schedule.period ? parseDuration(schedule.period) : KIND_LENGTH_MS[schedule.kind];
  const report = await makeReport(store, {
    kind: schedule.kind,
    from: run.at - length,
    to: run.at,
    now,
    target: schedule.target,
    dataLimits: config.reports.dataLimits,
    trigger: { schedule: schedule.name, scheduledFor: isoSecond(run.at), missed: run.missed },
  });
  const directory = reportsDirectory(config);
  const files = writeReportFiles(directory, report, schedule.formats ?? config.reports.formats);
  pruneReportFiles(directory, config.retention.report, now);
  if (config.reports.webhook || config.reports.email) {
    const { deliverReport } = await import('./deliver.js');
    try {
      const delivered = await deliverReport(report, config.reports, config.reports.publicUrl ?? agentUrl);
      log.info({ schedule: schedule.name, report: report.id, ...delivered }, 'report delivered');
    } catch (error) {
      // the report is stored and written: only its delivery failed
      log.error(
        { schedule: schedule.name, report: report.id, err: (error as Error).message },
        'report delivery failed',
      );
    }
  }
  log.info(
    { schedule: schedule.name, report: report.id, status: report.fleet.status, missed: run.missed, files },
    `report made: ${report.fleet.reason}`,
  );
  return report;
}

/** The latest fire time of a schedule's stored reports (what a missed run is counted from). */
export async function lastScheduledRun(store: Store, schedule: string): Promise<number | null> {
  const latest = (await listReports(store)).find((r) => r.trigger?.schedule === schedule);
  return latest?.trigger.scheduledFor ? Date.parse(latest.trigger.scheduledFor) : null;
}

export async function startReportSchedules(
  store: Store,
  config: Config,
  log: Logger,
  agentUrl: string,
): Promise<ReportScheduler> {
  const schedules = config.reports.schedules ?? DEFAULT_SCHEDULES.map((s) => reportScheduleSchema.parse(s));
  const scheduler = new ReportScheduler({
    schedules,
    timeZone: config.reports.timeZone,
    log,
    run: async (run) => {
      await runScheduledReport(store, config, run, log, Date.now(), agentUrl);
    },
    lastRun: (name) => lastScheduledRun(store, name),
  });
  await scheduler.start();
  log.info(
    { schedules: schedules.map((s) => `${s.name} (${s.cron})`), directory: reportsDirectory(config) },
    'report schedules started',
  );
  return scheduler;
}
