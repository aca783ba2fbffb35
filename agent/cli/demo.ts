import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ENGINE_NAMES, type EngineName } from '../engines/names.js';
import { checkNumbers } from './flags.js';

interface DemoArgs {
  duration: number;
  fix: boolean;
  json: boolean;
  interval: number;
  listen: string;
  engine: EngineName;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe:
    "Replay the plant's work-order outage on a sandbox server (embedded PostgreSQL by default) and watch dbdiag diagnose it (--fix applies the proposed index)",
  builder: (yargs: Argv) =>
    yargs
      .option('duration', {
        type: 'number',
        default: 120,
        describe: 'longest the incident runs, in seconds (it ends as soon as the full diagnosis is in)',
      })
      .option('fix', {
        type: 'boolean',
        default: false,
        describe:
          'then apply the proposed index online (PostgreSQL CREATE INDEX CONCURRENTLY, MariaDB ALTER TABLE ... LOCK=NONE) and show the recovery',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe:
          'print one JSON object {"findings": [...]} on stdout at the end; the narration goes to stderr',
      })
      .option('interval', {
        type: 'number',
        default: 2,
        describe: "the agent's sampling interval, in seconds",
      })
      .option('engine', {
        choices: ENGINE_NAMES,
        default: 'postgres' as EngineName,
        describe: 'the sandbox server: embedded PostgreSQL, or MariaDB from the installed binaries',
      })
      .option('listen', {
        type: 'string',
        default: '127.0.0.1:0',
        describe: 'where the agent serves /metrics and /api/findings (port 0: a free one)',
      })
      .check((args) => {
        return checkNumbers(args, {
          duration: { min: 1, max: 3600, unit: 'seconds' },
          interval: { min: 1, max: 60, unit: 'seconds' },
        });
      }) as Argv<DemoArgs>,
  handler: async (args: ArgumentsCamelCase<DemoArgs>) => {
    const [{ runDemo }, { formatSummary }, { componentLogger }] = await Promise.all([
      import('../demo/run-demo.js'),
      import('../demo/summary.js'),
      import('../log.js'),
    ]);
    // The agent's routine logs would drown the story; warnings and errors still show.
    const log = componentLogger('demo').child({}, { level: process.env.DBDIAG_LOG_LEVEL ?? 'warn' });
    const out = args.json ? process.stderr : process.stdout;
    const print = (text: string) => out.write(`${text}\n`);
    const abort = new AbortController();
    const onSignal = () => {
      if (abort.signal.aborted) return;
      process.stderr.write('\ndbdiag demo: interrupted — stopping the load and removing the sandbox\n');
      abort.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const result = await runDemo({
        durationSeconds: args.duration,
        fix: args.fix,
        intervalSeconds: args.interval,
        listen: args.listen,
        engine: args.engine,
        log,
        print,
        signal: abort.signal,
      });
      print(`\n${formatSummary(result.summary)}`);
      if (args.json) process.stdout.write(`${JSON.stringify({ findings: result.findings }, null, 2)}\n`);
      if (abort.signal.aborted) process.exitCode = 130;
      else if (result.summary.diagnosedAfterSeconds === null) process.exitCode = 1;
    } catch (error) {
      // After Ctrl-C the server goes away under whatever step was running: that is the interruption, not a failure.
      if (abort.signal.aborted) {
        process.exitCode = 130;
        return;
      }
      process.stderr.write(`dbdiag demo: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
