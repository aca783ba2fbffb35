import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { loadConfig, resolveTarget } from '../config/load.js';
import { SEVERITIES, type Severity } from '../findings/finding.js';
import { checkNumbers } from './flags.js';
import { countdown } from './progress.js';

interface CheckArgs {
  url?: string;
  config?: string;
  window: number;
  format: 'table' | 'json';
  failOn?: Severity;
  top: number;
}

/**
 * Exit statuses (README, "Exit statuses"):
 *   0 every probe read what it reads, and no finding at or above --fail-on;
 *   1 nothing could be checked: a usage or config mistake, or the target could not be reached
 *     or logged into (one line on stderr naming the cause);
 *   2 a finding at or above --fail-on (whether or not the check was complete);
 *   3 the check is incomplete: connected, but a probe failed or read only part of its data
 *     (each listed with why), and no finding at or above --fail-on.
 */
export const EXIT_UNREACHABLE = 1;
export const EXIT_FINDINGS = 2;
export const EXIT_INCOMPLETE = 3;

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check',
  describe: 'Sample a target twice, a window apart, and print what was measured and the findings',
  builder: (yargs: Argv) =>
    yargs
      .option('url', { type: 'string', describe: 'target DSN (postgres://, mysql://, mariadb://)' })
      .option('config', {
        alias: 'c',
        type: 'string',
        describe: 'config file; checks its first target unless --url',
      })
      .option('window', { type: 'number', default: 10, describe: 'seconds between the two samples' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const })
      .option('fail-on', {
        choices: SEVERITIES,
        describe: 'exit 2 when a finding is at or above this severity (3: the check was incomplete)',
      })
      .option('top', { type: 'number', default: 10, describe: 'statements and tables to list' })
      .check((args) => {
        if (!args.url && !args.config) throw new Error('give --url DSN or --config FILE');
        return checkNumbers(args, {
          window: { min: 0, max: 3600, unit: 'seconds' },
          top: { min: 1, max: 1000, integer: true },
        });
      }) as unknown as Argv<CheckArgs>,
  handler: async (args: ArgumentsCamelCase<CheckArgs>) => {
    // loaded here, not at the top: `dbdiag --version` and `digest` need none of it
    const [
      { pathToFileURL },
      { loadConfig, resolveTarget },
      { drivers },
      { ConfigError },
      { severityAtLeast },
      { rootLogger },
      { RUNBOOKS_DIR },
      { formatCheck },
      { complete, measure },
      { runnerOptionsFor },
      { TargetRunner },
      { scrubSecrets },
    ] = await Promise.all([
      import('node:url'),
      import('../config/load.js'),
      import('../engines/drivers.js'),
      import('../errors.js'),
      import('../findings/finding.js'),
      import('../log.js'),
      import('../package-root.js'),
      import('../reports/format-text.js'),
      import('../reports/measurements.js'),
      import('../runtime/runner-options.js'),
      import('../runtime/target-runner.js'),
      import('../config/secrets.js'),
    ]);
    // The report is the output; routine log lines would only interleave with it.
    if (process.env.DBDIAG_LOG_LEVEL === undefined) rootLogger.level = 'error';
    const log = rootLogger;
    let config: ReturnType<typeof loadConfig>;
    let spec: ReturnType<typeof resolveTarget>;
    try {
      config = loadConfig(args.config, { urls: args.url ? [args.url] : [] });
      const target = args.url ? config.targets.at(-1) : config.targets[0];
      if (!target) throw new ConfigError(args.config ?? 'command line', 'no target to check');
      spec = resolveTarget(target);
    } catch (error) {
      process.stderr.write(
        scrubSecrets(`dbdiag check: ${error instanceof Error ? error.message : String(error)}\n`),
      );
      process.exit(EXIT_UNREACHABLE);
    }
    const runbookBaseUrl = config.runbookBaseUrl ?? pathToFileURL(RUNBOOKS_DIR).href;
    const runner = new TargetRunner(
      spec,
      config,
      drivers[spec.engine],
      log.child({ component: 'check', target: spec.name }),
      runnerOptionsFor(config, log)(spec.name, runbookBaseUrl),
    );
    try {
      const first = await runner.runCycle({ allProbes: true });
      if (!first.up) {
        process.stderr.write(
          scrubSecrets(`dbdiag check: ${first.downReason ?? `target "${spec.name}" is unreachable`}\n`),
        );
        process.exitCode = EXIT_UNREACHABLE;
        return;
      }
      // on a terminal, the seconds left of the window (stderr; nothing when redirected)
      await countdown(args.window, 'second sample', process.stderr.isTTY ? process.stderr : null);
      const second = await runner.runCycle({ allProbes: true });
      if (!second.up) {
        process.stderr.write(
          scrubSecrets(`dbdiag check: ${second.downReason ?? `target "${spec.name}" is unreachable`}\n`),
        );
        process.exitCode = EXIT_UNREACHABLE;
        return;
      }
      const measured = measure(second, runner.rates, args.top);
      const findings = runner.findings;
      const failOn = args.failOn;
      const failing = failOn !== undefined && findings.some((f) => severityAtLeast(f.severity, failOn));
      const isComplete = complete(measured);
      const exitStatus = failing ? EXIT_FINDINGS : isComplete ? 0 : EXIT_INCOMPLETE;
      if (args.format === 'json') {
        const report = { target: spec.name, complete: isComplete, exitStatus, measured, findings };
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        process.stdout.write(formatCheck(measured, findings));
      }
      process.exitCode = exitStatus;
    } finally {
      await runner.stop();
    }
  },
};
