import { pathToFileURL } from 'node:url';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadConfig, resolveTarget } from '../config/load.js';
import { drivers } from '../engines/drivers.js';
import { ConfigError } from '../errors.js';
import { SEVERITIES, type Severity, severityAtLeast } from '../findings/finding.js';
import { rootLogger } from '../log.js';
import { RUNBOOKS_DIR } from '../package-root.js';
import { formatCheck } from '../reports/format-text.js';
import { measure } from '../reports/measurements.js';
import { runnerOptionsFor } from '../runtime/runner-options.js';
import { TargetRunner } from '../runtime/target-runner.js';

interface CheckArgs {
  url?: string;
  config?: string;
  window: number;
  format: 'table' | 'json';
  failOn?: Severity;
  top: number;
}

/** Exit codes: 0 all good, 1 connection or usage error, 2 a finding at or above --fail-on. */
export const EXIT_UNREACHABLE = 1;
export const EXIT_FINDINGS = 2;

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
        describe: 'exit 2 when a finding is at or above this severity',
      })
      .option('top', { type: 'number', default: 10, describe: 'statements and tables to list' })
      .check((args) => {
        if (!args.url && !args.config) throw new Error('give --url DSN or --config FILE');
        if (!(args.window >= 0)) throw new Error('--window must be a number of seconds >= 0');
        return true;
      }) as unknown as Argv<CheckArgs>,
  handler: async (args: ArgumentsCamelCase<CheckArgs>) => {
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
      process.stderr.write(`dbdiag check: ${error instanceof Error ? error.message : String(error)}\n`);
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
        process.stderr.write(`dbdiag check: ${first.downReason ?? `target "${spec.name}" is unreachable`}\n`);
        process.exitCode = EXIT_UNREACHABLE;
        return;
      }
      if (args.window > 0) await new Promise((resolve) => setTimeout(resolve, args.window * 1000));
      const second = await runner.runCycle({ allProbes: true });
      if (!second.up) {
        process.stderr.write(
          `dbdiag check: ${second.downReason ?? `target "${spec.name}" is unreachable`}\n`,
        );
        process.exitCode = EXIT_UNREACHABLE;
        return;
      }
      const measured = measure(second, runner.rates, args.top);
      const findings = runner.findings;
      if (args.format === 'json') {
        process.stdout.write(`${JSON.stringify({ target: spec.name, measured, findings }, null, 2)}\n`);
      } else {
        process.stdout.write(formatCheck(measured, findings));
      }
      const failOn = args.failOn;
      if (failOn && findings.some((f) => severityAtLeast(f.severity, failOn)))
        process.exitCode = EXIT_FINDINGS;
    } finally {
      await runner.stop();
    }
  },
};
