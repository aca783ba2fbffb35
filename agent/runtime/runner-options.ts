import { createAdvise } from '../advisors/advise.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { SlowLogTracker } from '../slowlog/follow.js';
import type { FollowedSource, RunnerOptions } from './target-runner.js';

/** Slow-log classes kept in each snapshot for the advisors (the exported series are bounded by topN). */
const SLOWLOG_CLASSES_IN_SNAPSHOT = 200;

/** The follower of a target's slow log, when the target names one. */
export function slowLogSourceFor(config: Config, target: string, log?: Logger): FollowedSource | undefined {
  const slowLog = config.targets.find((t) => t.name === target)?.slowLog;
  if (!slowLog) return undefined;
  const tracker = new SlowLogTracker({
    path: slowLog.path,
    format: slowLog.format,
    ...(slowLog.linePrefix !== undefined ? { linePrefix: slowLog.linePrefix } : {}),
    ...(slowLog.statePath !== undefined ? { statePath: slowLog.statePath } : {}),
    ...(log !== undefined ? { log } : {}),
  });
  return {
    start: () => tracker.start(),
    stop: () => tracker.stop(),
    signals: () => ({ slowlog: tracker.signals(SLOWLOG_CLASSES_IN_SNAPSHOT) }),
    onObservation: (listener) => tracker.onObservation((_classId, seconds) => listener(seconds)),
    status: () => tracker.status(),
  };
}

/**
 * What each target's runner gets besides its probes: the advisors and the slow-log follower.
 * One place, so the agent, `check` and the demo wire targets the same way.
 */
export function runnerOptionsFor(
  config: Config,
  log: Logger,
  options: {
    /** every target is a throw-away sandbox (only the demo says so): see AdviseOptions.sandboxProof */
    sandboxProof?: boolean;
  } = {},
): (target: string, runbookBaseUrl: string) => RunnerOptions {
  return (target, runbookBaseUrl) => ({
    advise: createAdvise({
      thresholds: config.thresholds,
      runbookBaseUrl,
      log: log.child({ component: 'advisors', target }),
      sandboxProof: options.sandboxProof === true,
      showSamples: config.redaction.showSamples,
    }),
    extraSignals: slowLogSourceFor(config, target, log.child({ component: 'slowlog', target })),
  });
}
