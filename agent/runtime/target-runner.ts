import { EventEmitter } from 'node:events';
import type { Config } from '../config/schema.js';
import type { Thresholds } from '../config/thresholds.js';
import type { EngineDriver, EngineSession, SamplingLimits, TargetSpec } from '../engines/engine.js';
import { ERROR_CODES } from '../engines/error-codes.js';
import { AgentError, errorMessage } from '../errors.js';
import type { Finding } from '../findings/finding.js';
import { FindingTracker, type TrackedFinding, type TrackerUpdate } from '../findings/tracker.js';
import type { Logger } from '../log.js';
import type { SlowLogStatus } from '../slowlog/follow.js';
import { SQL_LEXICONS } from '../slowlog/lexicons.js';
import { redactErrorMessage } from '../slowlog/redact.js';
import { SignalRedactor } from '../slowlog/redact-signals.js';
import { computeRates, type Rates } from '../snapshot/rates.js';
import type { Signals } from '../snapshot/signals.js';
import type { ProbeName, ProbeReport, Snapshot } from '../snapshot/snapshot.js';
import { Backoff } from './backoff.js';
import { dueProbes } from './schedule.js';
import { withTimeout } from './with-timeout.js';

/** Extra time the client waits beyond the server-side statement timeout before it gives up on the session. */
const CLIENT_GRACE_MS = 2000;

/**
 * Share of the sampling interval a verification round may use after a scheduled cycle. The
 * round stops at its first database call past it, or as soon as the next cycle wants the
 * session; what it verified is cached and the next round resumes there.
 */
const VERIFY_BUDGET_SHARE = 0.5;

/** What the runner hands the advise step after each cycle: data only, never the session. */
export interface CycleContext {
  spec: TargetSpec;
  /** the runner's current thresholds (a config reload changes them without a new advise step) */
  thresholds?: Thresholds;
  history: readonly Snapshot[];
  rates: Rates;
}

/**
 * A target's advice: verification through the session (EXPLAIN, what-if, sandbox proof: the
 * evidence queue, agent/evidence/) and the pure advisors over the data and that evidence.
 */
export interface AdviseStep {
  /**
   * Verification work for `snapshot` on the session; `stop()` is asked between database calls
   * and, when true, the round ends early (what was verified is kept for the next round).
   */
  verify(snapshot: Snapshot, session: EngineSession, stop: () => boolean): Promise<void>;
  /** this cycle's findings, pure, from the data and the evidence verified so far */
  advise(context: CycleContext): Finding[];
  /** failures per advisor (and of the verification) since start, for dbdiag_advisor_errors_total */
  readonly errors: ReadonlyMap<string, number>;
}

/** Adds signals that do not come from a probe (the slow-log digest). */
export type SignalSource = () => Partial<Signals>;

/** A signal source that lives as long as the runner (the slow-log follower). */
export interface FollowedSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  signals: SignalSource;
  /** every statement counted, with its duration (for the query-time histogram) */
  onObservation?(listener: (seconds: number) => void): void;
  /** whether the followed file is being read, and why not */
  status?(): SlowLogStatus;
}

export interface RunnerOptions {
  advise?: AdviseStep;
  extraSignals?: FollowedSource;
  /** active findings kept by the store from before a restart: their episodes go on (firstSeen stands) */
  restoredFindings?: readonly TrackedFinding[];
}

const NO_ERRORS: ReadonlyMap<string, number> = new Map();

function errorCode(error: unknown): string {
  return error instanceof AgentError ? error.code : ERROR_CODES.queryFailed;
}

export function samplingLimits(config: Config): SamplingLimits {
  return {
    statementTimeoutMs: config.statementTimeoutMs,
    topStatements: config.topN.statements,
    topTables: config.topN.tables,
    topIndexes: config.topN.indexes,
  };
}

/**
 * One target: its one long-lived session, its sampling cycles (never overlapping), its history
 * of snapshots, the latest rates and findings. Emits 'findings' (what changed in the findings'
 * lives) and then 'snapshot' after every cycle.
 */
export class TargetRunner extends EventEmitter<{ snapshot: [Snapshot]; findings: [TrackerUpdate] }> {
  private session: EngineSession | null = null;
  private readonly backoff = new Backoff();
  private readonly lastRunAt: Partial<Record<ProbeName, number>> = {};
  private readonly reports: Partial<Record<ProbeName, ProbeReport>> = {};
  private readonly snapshots: Snapshot[] = [];
  private currentRates: Rates = { cache: null, statements: null, tables: null };
  private currentFindings: Finding[] = [];
  private readonly tracker: FindingTracker;
  private readonly errorCounts = new Map<ProbeName, number>();
  private downReason: string | null = 'not sampled yet';
  private serverVersion: string | null = null;
  private lastUp: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<Snapshot> | null = null;
  private stopped = false;
  /** the verification round running between cycles, if any */
  private verification: Promise<void> | null = null;
  /** a cycle waits for the session: the round stops at its next database call */
  private cycleWaiting = false;
  private verifiedSeconds = 0;
  private lastVerifyError: string | null = null;
  /** the one redaction step every statement text sampled passes (agent/slowlog/redact.ts, redact-signals.ts) */
  private readonly redactor: SignalRedactor;

  constructor(
    readonly spec: TargetSpec,
    private config: Config,
    private readonly driver: EngineDriver,
    private readonly log: Logger,
    private readonly options: RunnerOptions = {},
  ) {
    super();
    this.redactor = new SignalRedactor(SQL_LEXICONS[spec.engine]);
    this.tracker = new FindingTracker(config.thresholds.resolveAfterSeconds, options.restoredFindings ?? []);
    this.currentFindings = this.tracker.active.map((t) => t.finding);
  }

  get latest(): Snapshot | undefined {
    return this.snapshots.at(-1);
  }

  /** when the target last answered a cycle (epoch ms), kept while it is down */
  get lastUpAt(): number | null {
    return this.lastUp;
  }

  get history(): readonly Snapshot[] {
    return this.snapshots;
  }

  get rates(): Rates {
    return this.currentRates;
  }

  get findings(): readonly Finding[] {
    return this.currentFindings;
  }

  /** time spent verifying (EXPLAIN, what-if, sandbox proofs) since the agent started, for dbdiag_verification_seconds_total */
  get verificationSeconds(): number {
    return this.verifiedSeconds;
  }

  /** advisor (and verification) failures since the agent started, for dbdiag_advisor_errors_total */
  get advisorErrors(): ReadonlyMap<string, number> {
    return this.options.advise?.errors ?? NO_ERRORS;
  }

  /** the active findings with their lifecycle (firstSeen, occurrences, severity changes) */
  get trackedFindings(): readonly TrackedFinding[] {
    return this.tracker.active;
  }

  /** cumulative probe errors since the agent started, for dbdiag_probe_errors_total */
  get probeErrors(): ReadonlyMap<ProbeName, number> {
    return this.errorCounts;
  }

  /** the slow-log follower's state (readable, problem, error counts); null without a slow log */
  get slowLogStatus(): SlowLogStatus | null {
    return this.options.extraSignals?.status?.() ?? null;
  }

  /**
   * Applies a reloaded config to this target: intervals, history size and thresholds take
   * effect from the next cycle; the session, the history and the findings are kept.
   */
  reconfigure(config: Config): void {
    this.config = config;
  }

  /** Starts the cycle loop: the first cycle at once, then every interval (jittered by up to 10%). */
  start(): void {
    this.stopped = false;
    this.options.extraSignals?.start().catch((error: unknown) => {
      this.log.error({ err: error }, `cannot follow the slow log: ${errorMessage(error)}`);
    });
    const loop = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        await this.runCycle({ verification: 'background' });
      } catch (error) {
        this.log.error({ err: error }, 'sampling cycle failed');
      }
      if (this.stopped) return;
      const delay = this.config.intervalSeconds * 1000 * (0.95 + 0.1 * Math.random());
      this.timer = setTimeout(() => void loop(), delay);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    await this.verification;
    await this.options.extraSignals?.stop().catch(() => undefined);
    await this.dropSession();
  }

  /**
   * One sampling cycle. Cycles never overlap: a call while one runs waits for it.
   * `verification`: 'inline' (a one-shot check, tests) verifies index candidates inside the
   * cycle so its findings are complete; 'background' (the agent's schedule) advises on the
   * evidence at hand and verifies after the cycle, within a budget, off the sampling path.
   */
  async runCycle(
    options: { allProbes?: boolean; verification?: 'inline' | 'background' } = {},
  ): Promise<Snapshot> {
    if (this.running) return this.running;
    this.running = this.cycle(options.allProbes ?? false, options.verification ?? 'inline').finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async dropSession(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session) await session.close().catch(() => undefined);
  }

  private async ensureSession(now: number): Promise<EngineSession | null> {
    if (this.session) return this.session;
    if (!this.backoff.ready(now)) return null;
    try {
      this.session = await this.driver.connect(this.spec, samplingLimits(this.config), this.log);
      this.serverVersion = this.session.serverVersion;
      this.backoff.succeeded();
      this.downReason = null;
      this.log.info({ version: this.serverVersion }, 'connected');
      return this.session;
    } catch (error) {
      const delay = this.backoff.failed(now);
      const reason = errorMessage(error);
      if (reason !== this.downReason)
        this.log.warn({ code: errorCode(error), retryInMs: Math.round(delay) }, reason);
      this.downReason = reason;
      return null;
    }
  }

  private countError(probe: ProbeName): void {
    this.errorCounts.set(probe, (this.errorCounts.get(probe) ?? 0) + 1);
  }

  private async runProbe(session: EngineSession, probe: ProbeName, signals: Signals): Promise<boolean> {
    const started = performance.now();
    const startedAt = Date.now();
    const previous = this.reports[probe];
    try {
      const outcome = await withTimeout(
        session.sample(probe),
        this.config.statementTimeoutMs + CLIENT_GRACE_MS,
        `probe ${probe}`,
      );
      const durationSeconds = (performance.now() - started) / 1000;
      if (outcome.status === 'ok') {
        Object.assign(signals, this.redactor.signals(outcome.signals));
        const partial = outcome.partial ?? null;
        // Said once when it starts: the data is incomplete until the GRANT is made.
        if (partial !== null && (previous?.status !== 'partial' || previous.message !== partial))
          this.log.warn({ probe }, partial);
        this.reports[probe] = {
          probe,
          status: partial === null ? 'ok' : 'partial',
          lastRunAt: startedAt,
          durationSeconds,
          code: partial === null ? null : 'partial',
          message: partial,
        };
      } else {
        // Quiet: logged once when it first becomes unsupported, then only remembered.
        if (previous?.status !== 'unsupported') this.log.info({ probe }, outcome.reason);
        this.reports[probe] = {
          probe,
          status: 'unsupported',
          lastRunAt: startedAt,
          durationSeconds,
          code: 'unsupported',
          message: outcome.reason,
        };
      }
      return true;
    } catch (error) {
      const code = errorCode(error);
      const message = errorMessage(error);
      this.countError(probe);
      this.reports[probe] = {
        probe,
        status: 'error',
        lastRunAt: startedAt,
        durationSeconds: (performance.now() - started) / 1000,
        code,
        message,
      };
      if (previous?.status !== 'error' || previous.message !== message)
        this.log.warn({ probe, code }, message);
      // A lost session, or one whose query never came back, cannot be trusted with the next
      // query. A server-side statement/lock timeout leaves the session usable: keep the slot.
      if (code === ERROR_CODES.connectionLost || code === ERROR_CODES.sessionStalled) {
        this.downReason = `${code === ERROR_CODES.sessionStalled ? 'session stalled' : 'connection lost'}: ${message}`;
        await this.dropSession();
        this.backoff.succeeded();
        return false;
      }
      return true;
    } finally {
      this.lastRunAt[probe] = startedAt;
    }
  }

  /** Verification through the session, timed; a failure is logged once per distinct message and never ends the cycle. */
  private async verify(snapshot: Snapshot, session: EngineSession, stop: () => boolean): Promise<void> {
    const advise = this.options.advise;
    if (!advise) return;
    const started = performance.now();
    try {
      await advise.verify(snapshot, session, stop);
      this.lastVerifyError = null;
    } catch (error) {
      // EXPLAIN runs samples with their literals, and servers quote them in errors: masked, no stack
      const message = redactErrorMessage(error);
      if (message !== this.lastVerifyError) this.log.error(`verification failed: ${message}`);
      this.lastVerifyError = message;
    } finally {
      this.verifiedSeconds += (performance.now() - started) / 1000;
    }
  }

  /** The session is the cycle's: a round in progress stops at its next database call. */
  private async settleVerification(): Promise<void> {
    if (!this.verification) return;
    this.cycleWaiting = true;
    try {
      await this.verification;
    } finally {
      this.cycleWaiting = false;
    }
  }

  private async cycle(allProbes: boolean, verification: 'inline' | 'background'): Promise<Snapshot> {
    await this.settleVerification();
    const now = Date.now();
    const previous = this.latest;
    const signals: Signals = { ...(previous?.signals ?? {}) };
    const session = await this.ensureSession(now);
    let up = false;
    if (session) {
      const due = allProbes
        ? [...session.probes]
        : dueProbes(session.probes, this.lastRunAt, now, this.config);
      up = true;
      for (const probe of due) {
        if (!(await this.runProbe(session, probe, signals))) {
          up = false;
          break;
        }
      }
      for (const probe of session.probes) {
        const report = this.reports[probe];
        if (report && !due.includes(probe) && report.status === 'ok') {
          this.reports[probe] = { ...report, status: 'not-due' };
        }
      }
    }
    if (this.options.extraSignals)
      Object.assign(signals, this.redactor.signals(this.options.extraSignals.signals()));
    const snapshot: Snapshot = {
      target: this.spec.name,
      engine: this.spec.engine,
      at: now,
      up,
      downReason: up ? null : this.downReason,
      serverVersion: this.serverVersion,
      signals,
      probes: { ...this.reports },
    };
    if (up) this.lastUp = now;
    this.record(snapshot);
    const advise = this.options.advise;
    if (advise) {
      if (verification === 'inline' && up && this.session)
        await this.verify(snapshot, this.session, () => false);
      try {
        const advised = advise.advise({
          spec: this.spec,
          thresholds: this.config.thresholds,
          history: this.snapshots,
          rates: this.currentRates,
        });
        this.trackFindings(advised, snapshot.at);
      } catch (error) {
        this.log.error({ err: error }, 'advisors failed');
      }
    }
    this.emit('snapshot', snapshot);
    if (advise && verification === 'background' && up && this.session) {
      const deadline = performance.now() + this.config.intervalSeconds * 1000 * VERIFY_BUDGET_SHARE;
      this.verification = this.verify(
        snapshot,
        this.session,
        () => this.cycleWaiting || this.stopped || performance.now() >= deadline,
      ).finally(() => {
        this.verification = null;
      });
    }
    return snapshot;
  }

  /** Gives this cycle's findings their life; each raise, re-grade and resolve is logged once, at info. */
  private trackFindings(advised: readonly Finding[], at: number): void {
    const update = this.tracker.update(advised, at, this.config.thresholds.resolveAfterSeconds);
    this.currentFindings = update.active;
    for (const e of update.events) {
      this.log.info(
        { findingId: e.id, kind: e.kind, severity: e.severity, event: e.type },
        `finding ${e.type}: ${e.summary}`,
      );
    }
    if (update.changed.length > 0 || update.events.length > 0) this.emit('findings', update);
  }

  private record(snapshot: Snapshot): void {
    const previous = this.latest;
    this.snapshots.push(snapshot);
    // `while`: a reload may have made the history shorter
    while (this.snapshots.length > this.config.historySize) this.snapshots.shift();
    if (!previous) return;
    const fresh = computeRates(previous, snapshot);
    // A group not re-sampled this cycle keeps its last rate.
    this.currentRates = {
      cache: fresh.cache ?? this.currentRates.cache,
      statements: fresh.statements ?? this.currentRates.statements,
      tables: fresh.tables ?? this.currentRates.tables,
    };
  }
}
