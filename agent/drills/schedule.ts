import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DrillSchedule } from '../config/drills.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { ReportScheduler, type ScheduleRun } from '../reports/schedule.js';
import { reportsDirectory } from '../reports/scheduled.js';
import type { Store } from '../state/store.js';
import { scorecardHtml, scorecardMarkdown } from './render.js';
import type { Scorecard } from './scorecard.js';

// The quarterly drills: node-cron schedules (the reports' scheduler) run their scenarios in
// auto mode, one after another, each on a sandbox it starts. Each scorecard is stored with the
// others (dbdiag drill history compares it with the previous run) and written as files into the
// reports directory beside the reports. A run that fires while the previous one still goes is
// skipped; a drill missed while the agent was down is not made up (a rehearsal, not a report).

export type DrillFormat = 'md' | 'html' | 'json';

/** Writes a scorecard's files: <directory>/drill-<scenario>-<engine>-<id>.<format>; returns their paths. */
export function writeScorecardFiles(
  directory: string,
  card: Scorecard,
  formats: readonly DrillFormat[],
): string[] {
  mkdirSync(directory, { recursive: true });
  return formats.map((format) => {
    const file = join(directory, `drill-${card.scenario}-${card.engine}-${card.id}.${format}`);
    const text =
      format === 'json'
        ? `${JSON.stringify(card, null, 2)}\n`
        : format === 'html'
          ? scorecardHtml(card)
          : scorecardMarkdown(card);
    writeFileSync(file, text);
    return file;
  });
}

export interface DrillScheduler {
  stop(): Promise<void>;
  /** what each run filed, newest last (for the agent's log and the tests) */
  readonly filed: { schedule: string; scenario: string; result: string; files: string[] }[];
}

export async function startDrillSchedules(
  store: Store,
  config: Config,
  log: Logger,
): Promise<DrillScheduler> {
  const abort = new AbortController();
  const filed: DrillScheduler['filed'] = [];
  const directory = reportsDirectory(config);
  const scheduler = new ReportScheduler<DrillSchedule>({
    schedules: config.drills.schedules ?? [],
    timeZone: config.drills.timeZone,
    log,
    run: async ({ schedule }: ScheduleRun<DrillSchedule>) => {
      const { runDrill } = await import('./runner.js');
      for (const scenario of schedule.scenarios) {
        if (abort.signal.aborted) return;
        log.info({ schedule: schedule.name, scenario, engine: schedule.engine }, 'scheduled drill starting');
        try {
          const card = await runDrill({
            scenario,
            engine: schedule.engine,
            mode: 'auto',
            config,
            scale: schedule.scale,
            alertForScale: schedule.alertForScale,
            store,
            log,
            print: (text) => log.debug({ schedule: schedule.name, scenario }, text),
            signal: abort.signal,
          });
          const files = writeScorecardFiles(directory, card, config.drills.formats);
          filed.push({ schedule: schedule.name, scenario, result: card.result, files });
          log.info(
            { schedule: schedule.name, scenario, result: card.result, times: card.times, files },
            'scheduled drill filed its scorecard',
          );
        } catch (error) {
          log.error(
            { schedule: schedule.name, scenario, err: (error as Error).message },
            'scheduled drill could not run',
          );
        }
      }
    },
    // a missed quarterly drill is not made up at start
    lastRun: async () => null,
  });
  await scheduler.start();
  log.info(
    {
      schedules: (config.drills.schedules ?? []).map(
        (s) => `${s.name} (${s.cron}): ${s.scenarios.join(', ')}`,
      ),
      directory,
    },
    'drill schedules started',
  );
  return {
    filed,
    stop: async () => {
      abort.abort();
      await scheduler.stop();
    },
  };
}
