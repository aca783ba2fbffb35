import { createAdvise } from '../advisors/advise.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { RunnerOptions } from './target-runner.js';

/**
 * What each target's runner gets besides its probes: the advisors and the slow-log follower.
 * One place, so the agent, `check` and the demo wire targets the same way.
 */
export function runnerOptionsFor(
  config: Config,
  log: Logger,
): (target: string, runbookBaseUrl: string) => RunnerOptions {
  return (target, runbookBaseUrl) => ({
    advise: createAdvise({
      thresholds: config.thresholds,
      runbookBaseUrl,
      log: log.child({ component: 'advisors', target }),
    }),
  });
}
