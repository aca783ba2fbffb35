import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ENGINE_NAMES, type EngineName } from '../engines/names.js';
import { checkNumbers } from './flags.js';
import type { StoreLocationArgs } from './store.js';

// `dbdiag drill list|run|history`: inject a real fault into a sandbox, let dbdiag detect and
// mitigate it, and score how long each step took (agent/drills/).

/** Exit statuses of `dbdiag drill run` (README, Drills). */
export const DRILL_EXIT = {
  pass: 0,
  /** a usage or configuration mistake, or the drill could not run */
  error: 1,
  /** the drill ran and failed (see the scorecard's failures) */
  fail: 2,
  /** refused: the target is not marked `sandbox: true` (nothing was touched) */
  refused: 4,
  interrupted: 130,
} as const;

interface DrillArgs extends StoreLocationArgs {
  action: 'list' | 'run' | 'history';
  scenario?: string;
  engine: EngineName;
  target?: string;
  mode: 'auto' | 'team';
  format: 'text' | 'json' | 'md' | 'html';
  interval: number;
  scale: 'default' | 'small';
  limit: number;
  alerts: boolean;
  alertForScale: number;
  teamLimit: number;
}

export const drillCommand: CommandModule<object, DrillArgs> = {
  command: 'drill <action> [scenario]',
  describe:
    'Rehearse an incident on a sandbox: list the scenarios, run one (inject, detect, mitigate, recover, scored), or show past scorecards',
  builder: (yargs: Argv) =>
    yargs
      .positional('action', { choices: ['list', 'run', 'history'] as const, demandOption: true })
      .positional('scenario', { type: 'string', describe: 'run / history: the scenario (dbdiag drill list)' })
      .option('engine', {
        choices: ENGINE_NAMES,
        default: 'postgres' as EngineName,
        describe: 'the sandbox engine',
      })
      .option('target', {
        type: 'string',
        describe:
          'drill on this configured target instead of a fresh sandbox: it must be marked sandbox: true',
      })
      .option('mode', {
        choices: ['auto', 'team'] as const,
        default: 'auto' as const,
        describe:
          "auto: dbdiag applies the mitigation from the finding's fix.actions; team: the runbook is shown and dbdiag waits while people work, recording each step they mark done (one line on stdin each)",
      })
      .option('format', {
        choices: ['text', 'json', 'md', 'html'] as const,
        default: 'text' as const,
        describe:
          'output: text (narration + Markdown scorecard), or the scorecard alone on stdout as json, md or html (one self-contained page); the narration then goes to stderr',
      })
      .option('interval', {
        type: 'number',
        default: 2,
        describe: "the drill agent's sampling interval, in seconds",
      })
      .option('scale', {
        choices: ['default', 'small'] as const,
        default: 'default' as const,
        describe: 'data set size: small fits a busy CI machine',
      })
      .option('alerts', {
        type: 'boolean',
        default: true,
        describe:
          'time the alerts on a real Prometheus evaluating dashboards/prometheus/dbdiag.rules.yml (when /usr/bin/prometheus is installed); --no-alerts: not measured',
      })
      .option('alert-for-scale', {
        type: 'number',
        default: 1,
        describe:
          "multiply every alert rule's for: by this (0-1] so an alert can fire within a short drill; the scorecard says so",
      })
      .option('team-limit', {
        type: 'number',
        default: 900,
        describe: 'team mode: the longest dbdiag waits for the team, in seconds',
      })
      .option('limit', { type: 'number', default: 20, describe: 'history: how many runs' })
      .option('config', {
        alias: 'c',
        type: 'string',
        describe: 'config file: targets (sandbox: true), dataDir / store',
      })
      .option('data-dir', { type: 'string', describe: 'data directory of the SQLite store (scorecards)' })
      .option('store', { type: 'string', describe: 'a PostgreSQL store, postgres://...' })
      .check((args) =>
        checkNumbers(args, {
          interval: { min: 1, max: 60, unit: 'seconds' },
          'alert-for-scale': { min: 0.001, max: 1 },
          'team-limit': { min: 10, max: 86_400, unit: 'seconds' },
          limit: { min: 1, max: 10_000, unit: 'runs' },
        }),
      ) as unknown as Argv<DrillArgs>,
  handler: async (args: ArgumentsCamelCase<DrillArgs>) => {
    if (args.action === 'list') return listScenarios(args);
    if (args.action === 'history') return history(args);
    return run(args);
  },
};

async function listScenarios(args: DrillArgs): Promise<void> {
  const { SCENARIOS } = await import('../drills/catalogue.js');
  if (args.format === 'json') {
    const list = SCENARIOS.map(({ run: _run, ...scenario }) => scenario);
    process.stdout.write(`${JSON.stringify({ scenarios: list }, null, 2)}\n`);
    return;
  }
  for (const s of SCENARIOS)
    process.stdout.write(
      `${s.name}  [${s.engines.join(', ')}; detect within ${s.detectLimitSeconds} s]  ${s.summary}\n`,
    );
}

async function history(args: DrillArgs): Promise<void> {
  const [{ openStoreFrom }, { drillSeries }, { historyLine }] = await Promise.all([
    import('./store.js'),
    import('../drills/runner.js'),
    import('../drills/render.js'),
  ]);
  const { store } = await openStoreFrom(args);
  try {
    const records = await store.records('drill-run', {
      ...(args.scenario ? { target: drillSeries(args.scenario, args.engine) } : {}),
      limit: args.limit,
    });
    const cards = records.map((r) => r.payload as unknown as import('../drills/scorecard.js').Scorecard);
    if (args.format === 'json') {
      process.stdout.write(`${JSON.stringify({ drills: cards }, null, 2)}\n`);
      return;
    }
    if (cards.length === 0) {
      process.stdout.write('no drills recorded\n');
      return;
    }
    for (const card of cards) process.stdout.write(`${historyLine(card)}\n`);
  } finally {
    await store.close();
  }
}

async function run(args: DrillArgs): Promise<void> {
  const [{ loadConfig }, runner, { scorecardMarkdown, scorecardHtml }, { componentLogger }, { openStore }] =
    await Promise.all([
      import('../config/load.js'),
      import('../drills/runner.js'),
      import('../drills/render.js'),
      import('../log.js'),
      import('../state/open.js'),
    ]);
  if (!args.scenario)
    throw new Error('name the scenario: dbdiag drill run SCENARIO (dbdiag drill list names them)');
  const config = loadConfig(args.config, { dataDir: args.dataDir, store: args.store });
  const request = {
    scenario: args.scenario,
    engine: args.engine,
    mode: args.mode,
    config,
    ...(args.target === undefined ? {} : { target: args.target }),
  };
  // Safety first: nothing is opened or started before the target is known to be a sandbox.
  try {
    runner.checkDrillRequest(request);
  } catch (error) {
    if (error instanceof runner.DrillRefused) {
      process.stderr.write(`dbdiag drill: refused: ${error.message}\n`);
      process.exitCode = DRILL_EXIT.refused;
      return;
    }
    throw error;
  }
  const log = componentLogger('drill').child({}, { level: process.env.DBDIAG_LOG_LEVEL ?? 'warn' });
  const out = args.format === 'text' ? process.stdout : process.stderr;
  const print = (text: string) => out.write(`${text}\n`);
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) return;
    process.stderr.write('\ndbdiag drill: interrupted — ending the fault and removing the sandbox\n');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const store = await openStore({ store: config.store, dataDir: config.dataDir });
  try {
    const card = await runner.runDrill({
      ...request,
      intervalSeconds: args.interval,
      scale: args.scale,
      alerts: args.alerts,
      alertForScale: args.alertForScale,
      teamLimitSeconds: args.teamLimit,
      store,
      log,
      print,
      signal: abort.signal,
    });
    if (args.format === 'json') process.stdout.write(`${JSON.stringify(card, null, 2)}\n`);
    else if (args.format === 'html') process.stdout.write(scorecardHtml(card));
    else if (args.format === 'md') process.stdout.write(scorecardMarkdown(card));
    else process.stdout.write(`\n${scorecardMarkdown(card)}`);
    process.exitCode = abort.signal.aborted
      ? DRILL_EXIT.interrupted
      : card.result === 'pass'
        ? DRILL_EXIT.pass
        : DRILL_EXIT.fail;
  } catch (error) {
    if (abort.signal.aborted) {
      process.stderr.write('dbdiag drill: interrupted; the sandbox was removed\n');
      process.exitCode = DRILL_EXIT.interrupted;
      return;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}
