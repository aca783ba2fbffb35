import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { EngineName } from '../engines/names.js';
import type { Logger } from '../log.js';
import { isRunning, removeLeftovers } from '../sandbox/sandbox-dir.js';
import type { SandboxServer } from '../sandbox/server.js';
import { type JsonValue, type Store, typedRecords } from '../state/store.js';
import { AlertWatch, alertNote, firstFiring } from './alerts.js';
import { scenarioNamed } from './catalogue.js';
import type { DrillScenario } from './scenario.js';
import { compareWith, type DrillMode, type Scorecard, scorecardErrors } from './scorecard.js';
import { TeamConsole } from './team.js';

// Runs one drill: safety first (a sandbox the drill starts, or a target the config marks
// `sandbox: true` — anything else is refused before it is touched), leftovers of a killed run
// removed, the scenario, a checked cleanup, the scorecard validated against its schema,
// compared with the previous run of the same scenario and engine, and stored.

/** The drill was refused: the target is not a sandbox (nothing was touched). */
export class DrillRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrillRefused';
  }
}

/** A mistake in the request (unknown scenario, engine or mode the scenario lacks). */
export class DrillUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrillUsageError';
  }
}

export interface DrillRequest {
  scenario: string;
  engine: EngineName;
  mode: DrillMode;
  /** a configured target to drill on, which must be marked sandbox: true */
  target?: string;
  config: Config;
  intervalSeconds?: number;
  scale?: 'small' | 'default';
  /**
   * time the alerts on a real Prometheus (default: when one is installed); false: not measured
   */
  alerts?: boolean;
  /**
   * multiplies every alert rule's `for:` for this drill (default 1: the rules as they are); the
   * scorecard says so plainly when it is not 1
   */
  alertForScale?: number;
  /** team mode: where the team's marks come from (default: stdin) */
  input?: NodeJS.ReadableStream;
  /** team mode: the longest the drill waits for the team, in seconds (default 900) */
  teamLimitSeconds?: number;
  /** where scorecards are kept; none: not stored, no comparison */
  store: Store | null;
  log: Logger;
  print: (text: string) => void;
  signal: AbortSignal;
  /** a sandbox server the caller started and keeps (tests share one); see DrillContext.server */
  server?: SandboxServer;
}

/** The record's target column: one comparison series per scenario and engine. */
export function drillSeries(scenario: string, engine: string): string {
  return `${scenario}@${engine}`;
}

/**
 * Refuses what a drill must not touch, before anything connects: a target that is not in the
 * config, or not marked `sandbox: true`. Returns the checked scenario.
 */
export function checkDrillRequest(
  request: Pick<DrillRequest, 'scenario' | 'engine' | 'mode' | 'target' | 'config'>,
): DrillScenario {
  const scenario = scenarioNamed(request.scenario);
  if (scenario === undefined)
    throw new DrillUsageError(`unknown scenario "${request.scenario}" (dbdiag drill list names them)`);
  if (request.target !== undefined) {
    const target = request.config.targets.find((t) => t.name === request.target);
    if (target === undefined)
      throw new DrillRefused(
        `target "${request.target}" is not in the config: a drill runs only on a sandbox`,
      );
    if (!target.sandbox)
      throw new DrillRefused(
        `target "${request.target}" is not marked \`sandbox: true\` in the config: a drill breaks its database on purpose, so it runs only on a sandbox it starts or a target marked sandbox: true (nothing was touched)`,
      );
    if (scenario.needsOwnServer)
      throw new DrillUsageError(
        `scenario "${scenario.name}" starts its own sandbox server (it sets the server's connection limit); run it without --target`,
      );
  }
  if (!scenario.engines.includes(request.engine))
    throw new DrillUsageError(
      `scenario "${scenario.name}" runs on ${scenario.engines.join(', ')}, not on ${request.engine}`,
    );
  return scenario;
}

/** What of a sandbox server is still there after cleanup: its directory, its process. */
function leftoversOf(sandbox: { dir: string; pid: number | null } | null): string[] {
  if (sandbox === null) return [];
  const left: string[] = [];
  if (existsSync(sandbox.dir)) left.push(`directory ${sandbox.dir}`);
  if (sandbox.pid !== null && isRunning(sandbox.pid)) left.push(`server process ${sandbox.pid}`);
  return left;
}

export async function previousScorecard(
  store: Store,
  scenario: string,
  engine: string,
): Promise<Scorecard | null> {
  const [latest] = await typedRecords<JsonValue>(store, 'drill-run').list({
    target: drillSeries(scenario, engine),
    limit: 1,
  });
  return latest === undefined ? null : (latest.payload as unknown as Scorecard);
}

export async function runDrill(request: DrillRequest): Promise<Scorecard> {
  const scenario = checkDrillRequest(request);
  const removedBefore: string[] = [];
  for (const leftover of await removeLeftovers()) {
    const line =
      leftover.path +
      (leftover.killedPid === null
        ? ''
        : ` (its server, pid ${leftover.killedPid}, was still running: stopped)`);
    removedBefore.push(line);
    request.print(`Removed a sandbox left by an interrupted run: ${line}`);
  }
  const startedAt = new Date().toISOString();
  const forScale = request.alertForScale ?? 1;
  if (!(forScale > 0 && forScale <= 1))
    throw new DrillUsageError(`the alert rules' for: scale must be in (0, 1], not ${forScale}`);
  const measureAlerts = request.alerts !== false && AlertWatch.available();
  const watch = measureAlerts
    ? new AlertWatch({
        rules: scenario.alertRules,
        forScale,
        log: request.log,
        purpose: 'drill-alerts',
        scrapeIntervalSeconds: request.intervalSeconds ?? 2,
      })
    : null;
  const team =
    request.mode === 'team'
      ? new TeamConsole(request.input ?? process.stdin, request.print, request.teamLimitSeconds ?? 900)
      : null;
  let agentSeen = false;
  let outcome: Awaited<ReturnType<DrillScenario['run']>>;
  try {
    outcome = await scenario.run({
      engine: request.engine,
      mode: request.mode,
      intervalSeconds: request.intervalSeconds ?? 2,
      scale: request.scale,
      log: request.log,
      print: request.print,
      signal: request.signal,
      agentListening: (url) => {
        agentSeen = true;
        if (watch === null || request.signal.aborted) return;
        watch.agentListening(url);
        request.print(
          `A real Prometheus evaluates the alert rules every 1 s, scraping the drill's agent at ${url}/metrics`,
        );
      },
      faultInjected: () => watch?.faultInjected(),
      ...(team === null ? {} : { team }),
      ...(request.server !== undefined && !scenario.needsOwnServer ? { server: request.server } : {}),
    });
  } catch (error) {
    await watch?.stop();
    throw error;
  } finally {
    team?.end();
  }
  const prometheusSandbox = watch?.sandbox() ?? null;
  const alerts = watch === null ? null : await watch.stop();
  // The scenario's own finally has run: now check, not assume, that nothing is left.
  const leftovers = [
    ...leftoversOf(outcome.sandbox),
    ...(outcome.leftovers ?? []),
    ...leftoversOf(prometheusSandbox),
  ];
  const failures = [...outcome.failures];
  const detect = outcome.times.detectSeconds;
  if (detect !== null && detect > scenario.detectLimitSeconds)
    failures.push(`detected after ${detect} s, later than its limit of ${scenario.detectLimitSeconds} s`);
  if (!outcome.runbook.resolved)
    failures.push(`the runbook ${outcome.runbook.url ?? '(none)'} did not resolve`);
  if (!outcome.runbook.diagnosisRan)
    failures.push(
      `the runbook's Diagnosis did not run: ${outcome.runbook.failed.join('; ') || 'no statements for the engine'}`,
    );
  if (leftovers.length > 0) failures.push(`left behind after cleanup: ${leftovers.join(', ')}`);
  if (request.signal.aborted) failures.push('interrupted');
  const times = { ...outcome.times, alertSeconds: alerts === null ? null : firstFiring(alerts) };
  const note =
    alerts === null
      ? request.alerts === false
        ? 'not measured: turned off for this drill'
        : alertNote({ measured: false, prometheus: null, forScale, rules: [], others: [] })
      : alerts.measured
        ? alertNote(alerts)
        : `not measured: ${watch?.failure() ?? (agentSeen ? 'the scenario did not mark t0' : 'the scenario did not report its agent to the drill')}`;
  const card: Scorecard = {
    schemaVersion: 1,
    id: `${startedAt.replace(/[:.]/g, '')}-${randomBytes(3).toString('hex')}`,
    scenario: scenario.name,
    engine: request.engine,
    mode: request.mode,
    result: failures.length === 0 ? 'pass' : 'fail',
    failures,
    startedAt,
    finishedAt: new Date().toISOString(),
    sandbox: { kind: request.target === undefined ? 'started' : 'configured', server: outcome.server },
    expected: {
      findingKinds: [...scenario.findingKinds],
      alertRules: [...scenario.alertRules],
      detectLimitSeconds: scenario.detectLimitSeconds,
    },
    times,
    alertNote: note,
    ...(alerts === null ? {} : { alerts }),
    ...(outcome.team === undefined ? {} : { team: outcome.team }),
    findings: outcome.findings,
    mitigation: outcome.mitigation,
    symptom: outcome.symptom,
    runbook: outcome.runbook,
    cleanup: { ok: leftovers.length === 0, leftovers, removedBefore },
    previous: null,
  };
  if (request.store !== null) {
    const previous = await previousScorecard(request.store, scenario.name, request.engine);
    if (previous !== null) card.previous = compareWith(times, previous);
  }
  const errors = await scorecardErrors(card);
  if (errors.length > 0)
    throw new Error(`the scorecard does not validate against its schema: ${errors.join('; ')}`);
  // An interrupted run is no baseline for the next one: it is reported, not stored.
  if (request.store !== null && !request.signal.aborted) {
    await typedRecords<JsonValue>(request.store, 'drill-run').put([
      {
        id: card.id,
        target: drillSeries(card.scenario, card.engine),
        at: Date.parse(card.finishedAt),
        payload: card as unknown as JsonValue,
      },
    ]);
  }
  return card;
}
