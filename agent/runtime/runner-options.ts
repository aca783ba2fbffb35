import { join } from 'node:path';
import { type AdviseOptions, createAdvise } from '../advisors/advise.js';
import type { Config } from '../config/schema.js';
import { dialectOf } from '../engines/dialects.js';
import { EvidenceInterrupted, IndexEvidence } from '../evidence/index-evidence.js';
import type { VerifiedCandidate } from '../evidence/verify.js';
import type { Logger } from '../log.js';
import { SlowLogTracker } from '../slowlog/follow.js';
import type { AdviseStep, FollowedSource, RunnerOptions } from './target-runner.js';

/** Slow-log classes kept in each snapshot for the advisors (the exported series are bounded by topN). */
const SLOWLOG_CLASSES_IN_SNAPSHOT = 200;

/**
 * Where a target's slow-log read position is kept when `slowLog.statePath` is not set: one file
 * per target under the data directory (the name encoded, so any target name is a safe file name).
 */
export function defaultSlowLogStatePath(stateDir: string, target: string): string {
  return join(stateDir, 'slowlog', `${encodeURIComponent(target)}.json`);
}

/**
 * The follower of a target's slow log, when the target names one. With `stateDir` (the agent's
 * data directory) the read position survives restarts even without `slowLog.statePath`; one-off
 * runs (`check`, tests) pass none, so they never move the agent's saved position.
 */
export function slowLogSourceFor(
  config: Config,
  target: string,
  log?: Logger,
  stateDir?: string,
): FollowedSource | undefined {
  const slowLog = config.targets.find((t) => t.name === target)?.slowLog;
  if (!slowLog) return undefined;
  const statePath =
    slowLog.statePath ?? (stateDir !== undefined ? defaultSlowLogStatePath(stateDir, target) : undefined);
  const tracker = new SlowLogTracker({
    path: slowLog.path,
    format: slowLog.format,
    ...(slowLog.linePrefix !== undefined ? { linePrefix: slowLog.linePrefix } : {}),
    ...(statePath !== undefined ? { statePath } : {}),
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
    /** the agent's data directory: slow-log read positions are kept there (slowLogSourceFor) */
    stateDir?: string;
  } = {},
): (target: string, runbookBaseUrl: string) => RunnerOptions {
  return (target, runbookBaseUrl) => ({
    advise: adviseStep(
      config,
      log.child({ component: 'advisors', target }),
      runbookBaseUrl,
      options.sandboxProof === true,
    ),
    extraSignals: slowLogSourceFor(
      config,
      target,
      log.child({ component: 'slowlog', target }),
      options.stateDir,
    ),
  });
}

/** The evidence key in the advisor error counts: verification rounds that failed. */
export const EVIDENCE_ERRORS = 'index-evidence';

/** Index evidence (verification through the session) + the pure advisors, for one target. */
export function adviseStep(
  config: Config,
  log: Logger,
  runbookBaseUrl: string,
  sandboxProof: boolean,
  /** the advisors to run (default: the registry); the fault suite hands in one that throws */
  advisors?: AdviseOptions['advisors'],
): AdviseStep {
  const advise = createAdvise({
    thresholds: config.thresholds,
    runbookBaseUrl,
    log,
    ...(advisors !== undefined ? { advisors } : {}),
  });
  const errors = new Map<string, number>();
  let evidence: IndexEvidence | null = null;
  let verified: VerifiedCandidate[] | null = null;
  // a reloaded config's thresholds arrive with each cycle's context
  let thresholds = config.thresholds;
  return {
    async verify(snapshot, session, stop) {
      evidence ??= new IndexEvidence({
        dialect: dialectOf(snapshot.engine),
        log,
        sandboxProof,
        showSamples: config.redaction.showSamples,
      });
      const verifier = session.indexVerifier?.({ sandboxProof });
      if (!verifier) return;
      try {
        verified = await evidence.gather(snapshot, verifier, thresholds, stop);
      } catch (error) {
        // cut short: what it verified is cached, the last complete evidence stands
        if (error instanceof EvidenceInterrupted) return;
        errors.set(EVIDENCE_ERRORS, (errors.get(EVIDENCE_ERRORS) ?? 0) + 1);
        throw error;
      }
    },
    advise: (context) => {
      thresholds = context.thresholds ?? thresholds;
      return advise({
        target: context.spec.name,
        engine: context.spec.engine,
        history: context.history,
        rates: context.rates,
        thresholds,
        verified,
      });
    },
    get errors() {
      return new Map<string, number>([...advise.errors, ...errors]);
    },
  };
}
