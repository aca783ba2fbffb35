import type { Thresholds } from '../config/thresholds.js';
import { errorMessage } from '../errors.js';
import type { VerifiedCandidate } from '../evidence/verify.js';
import type { Finding, FindingKind } from '../findings/finding.js';
import type { Logger } from '../log.js';
import type { Rates } from '../snapshot/rates.js';
import type { EngineName } from '../snapshot/signals.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { AdvisorInput } from './context.js';
import { ADVISORS, type Advisor, adviseOrder } from './registry.js';

// One target's advise step, pure: every registered advisor on the history and the evidence at
// hand. The runner's FindingTracker (agent/findings/tracker.ts) gives the findings their life. An advisor that throws
// is counted and logged; its last findings stand and every other advisor's findings are kept.
// No database here: verification (EXPLAIN, what-if) is the evidence queue's work
// (agent/evidence/), handed in as data.

export interface AdviseOptions {
  thresholds: Thresholds;
  runbookBaseUrl: string;
  log: Logger;
  /** the advisors to run (default: the registry); tests hand in one that throws */
  advisors?: Readonly<Record<FindingKind, Advisor>>;
}

export interface AdviseInput {
  target: string;
  engine: EngineName;
  history: readonly Snapshot[];
  rates: Rates;
  /** the current thresholds (a config reload changes them without a new advise step); default: the options' */
  thresholds?: Thresholds;
  /** verified index candidates; null when there is no fresh evidence (the last index findings stand) */
  verified: readonly VerifiedCandidate[] | null;
}

export interface Advise {
  (input: AdviseInput): Finding[];
  /** failures per advisor since start (dbdiag_advisor_errors_total) */
  readonly errors: ReadonlyMap<FindingKind, number>;
}

export function createAdvise(options: AdviseOptions): Advise {
  const { runbookBaseUrl, log } = options;
  const advisors = options.advisors ?? ADVISORS;
  const order = adviseOrder(advisors);
  const last = new Map<FindingKind, Finding[]>();
  const errors = new Map<FindingKind, number>();
  const lastError = new Map<FindingKind, string>();
  const advise = (cycle: AdviseInput): Finding[] => {
    const snapshot = cycle.history.at(-1);
    if (!snapshot) return [];
    const thresholds = cycle.thresholds ?? options.thresholds;
    const input: AdvisorInput = {
      target: cycle.target,
      engine: cycle.engine,
      history: cycle.history,
      rates: cycle.rates,
      thresholds,
      runbookBaseUrl,
    };
    // Without a session this cycle there is no fresh evidence: the last index findings stand.
    const verified = snapshot.up ? cycle.verified : null;
    const current = new Map<FindingKind, Finding[]>();
    for (const kind of order) {
      const advisor = advisors[kind];
      const explaining = advisor.explainedBy.flatMap((k) => current.get(k) ?? []);
      let findings: Finding[] | null;
      try {
        findings = advisor.advise(input, { verified, explaining });
        lastError.delete(kind);
      } catch (error) {
        errors.set(kind, (errors.get(kind) ?? 0) + 1);
        const message = errorMessage(error);
        // logged when it starts failing or fails differently, counted every time
        if (lastError.get(kind) !== message)
          log.error({ advisor: kind, err: error }, `advisor ${kind} failed: ${message}`);
        lastError.set(kind, message);
        findings = null;
      }
      const result = findings ?? last.get(kind) ?? [];
      last.set(kind, result);
      current.set(kind, result);
    }
    const listed = (Object.keys(advisors) as FindingKind[]).flatMap((kind) => current.get(kind) ?? []);
    return listed;
  };
  return Object.assign(advise, { errors: errors as ReadonlyMap<FindingKind, number> });
}
