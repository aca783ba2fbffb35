import { randomBytes } from 'node:crypto';
import { availableParallelism, setPriority } from 'node:os';
import pg from 'pg';
import { type Config, configSchema } from '../config/schema.js';
import { dialectOf } from '../engines/dialects.js';
import type { EngineDialect } from '../engines/engine.js';
import { type Finding, SEVERITIES } from '../findings/finding.js';
import type { Logger } from '../log.js';
import { type RunningAgent, startAgent } from '../runtime/agent.js';
import { runnerOptionsFor } from '../runtime/runner-options.js';
import { AppLoad, type AppWindow, RisingLoad } from '../sandbox/app-load.js';
import { sandboxEngineOf, startSandboxServer } from '../sandbox/engines.js';
import {
  DEFAULT_PLANT_SCALE,
  HISTORY_TABLE,
  loadPlant,
  PLANT_APP_USER,
  PLANT_DATABASE,
  type PlantScale,
  plantRequests,
  plantSql,
} from '../sandbox/plant.js';
import { removeLeftovers } from '../sandbox/sandbox-dir.js';
import type { SandboxServer, SandboxServerOptions } from '../sandbox/server.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { formatAppWindow, formatFindingForDemo, formatMs } from './narration.js';
import {
  type DemoSummary,
  diagnosisOf,
  type FixOutcome,
  formatSummary,
  type PhaseView,
  type ServerView,
} from './summary.js';

// The incident, replayed: sandbox server, the plant's data, the agent (inside before the load,
// as in production), the application's rising load until connections run out, the diagnosis
// as it arrives, optionally the fix applied online and the recovery, then the summary.

export const DEMO_TARGET = 'plant-db';
/** The incident's server: 100 connections, every one usable by the application. */
export const DEMO_MAX_CONNECTIONS = 100;
/** The incident is PostgreSQL's (the plant's database); the demo becomes the plant-incident drill on both engines later. */
const DEMO_ENGINE = 'postgres';
/** the read path's SQL, for the DBA's own timing and EXPLAIN */
const READ_WORK_ORDER_SQL = plantSql[DEMO_ENGINE].readWorkOrder;

/**
 * The sandbox server: embedded PostgreSQL 18 with the plant's 100 connections.
 * reservedConnections 0 so the application sees the plant's 100/100 and its "sorry, too many
 * clients already"; the agent and the DBA session are inside because they connect before the
 * load. Parallel query is off so a 2-core machine stays predictable (every slow JOIN is one
 * backend on one core); WAL is kept minimal (a throw-away server, no replicas).
 */
export function demoServerOptions(adminPassword: string, purpose = 'demo'): SandboxServerOptions {
  return {
    version: 18,
    purpose,
    maxConnections: DEMO_MAX_CONNECTIONS,
    reservedConnections: 0,
    statementStats: true,
    cacheBytes: 256 * 1024 * 1024,
    adminPassword,
    settings: {
      maintenance_work_mem: '256MB',
      max_parallel_workers_per_gather: 0,
      max_parallel_maintenance_workers: 2,
      wal_level: 'minimal',
      max_wal_senders: 0,
      max_wal_size: '2GB',
      checkpoint_timeout: '30min',
    },
  };
}

export interface DemoOptions {
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
  /** Ctrl-C: ends the demo early (the sandbox is still removed) */
  signal?: AbortSignal;
  /** the sandbox directory's purpose, in its name dbdiag-<purpose>-XXXXXX (default 'demo'; drills: 'drill') */
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
}

export interface DiagnosisContext {
  findings: Finding[];
  query: (sql: string) => Promise<unknown>;
  agentUrl: string;
}

/** When each step happened, in seconds since the load started (null: it did not happen). */
export interface DemoTimeline {
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

export interface DemoResult {
  /** every finding the agent raised during the run: as it stood at the diagnosis, or else as last seen */
  findings: Finding[];
  summary: DemoSummary;
  timeline: DemoTimeline;
}

/** App pools: four application instances whose pools together may open more than the server allows. */
const APP_INSTANCES = 4;
const APP_POOL_SIZE = 30;
const READ_SHARE = 0.75;
const APP_LINE_SECONDS = 2;
/** after the diagnosis is complete, keep the incident going this long (one more app line) */
const HOLD_AFTER_DIAGNOSIS_MS = 2500;

/**
 * The demo's agent config. Thresholds are the defaults except the time windows, shortened so
 * the story fits in two minutes: saturation must last 10 s (default 30 s), a finding resolves
 * after 10 s clear (default 60 s), table statistics are re-read every 10 s (default 60 s).
 */
export function demoConfig(dsn: string, listen: string, intervalSeconds: number): Config {
  return configSchema.parse({
    listen,
    intervalSeconds,
    tablesIntervalSeconds: 10,
    thresholds: { saturationWindowSeconds: 10, resolveAfterSeconds: 10 },
    targets: [{ name: DEMO_TARGET, dsn }],
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function serverView(snapshot: Snapshot | undefined): ServerView | null {
  const c = snapshot?.signals.connections;
  if (!c) return null;
  return { used: c.used, max: c.max, active: c.byState.active, idle: c.byState.idle };
}

/** The sandbox's processes run at lower CPU priority, so the demo's own output and the agent stay timely on a small machine. */
function lowerServerPriority(server: SandboxServer, log: Logger): void {
  try {
    const pid = server.pid();
    if (pid !== null) setPriority(pid, 10);
  } catch (error) {
    log.debug({ err: error }, 'could not lower the sandbox priority');
  }
}

async function measureReadSeconds(client: pg.Client, maxId: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await client.query(READ_WORK_ORDER_SQL, [maxId - i * 97]);
    times.push((performance.now() - started) / 1000);
  }
  // The fastest run: contention from elsewhere on the machine only ever makes a read slower.
  return Math.min(...times);
}

/** Top-level plan cost of the read path as the planner sees it now (generic plan, as the agent plans it). */
async function readPathCost(client: pg.Client): Promise<number | null> {
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': { Plan: { 'Total Cost': number } }[] }>(
      `EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${READ_WORK_ORDER_SQL}`,
    );
    return rows[0]?.['QUERY PLAN'][0]?.Plan['Total Cost'] ?? null;
  } catch {
    return null;
  }
}

/**
 * Applies the finding's create-index action (its online form, rendered by the engine) with a
 * lock timeout that fits the current statement latency; the executor retries an expired lock
 * timeout after dropping the INVALID index the failed build left.
 */
async function applyIndex(
  dialect: EngineDialect,
  dba: pg.Client,
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

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { log, print, signal } = options;
  const scale = options.scale ?? DEFAULT_PLANT_SCALE;
  const cleanups: (() => Promise<void>)[] = [];
  const tracking: Tracking = { seen: new Map(), current: [] };
  const timeline: DemoTimeline = {
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
    const server = await startSandboxServer(DEMO_ENGINE, {
      ...demoServerOptions(randomBytes(12).toString('hex'), options.purpose),
      onLog: (line) => log.debug({ server: line }, 'postgres'),
    });
    cleanups.push(() => server.destroy());
    timeline.sandbox = { dir: server.dir, pid: server.pid() };
    lowerServerPriority(server, log);
    print(
      `Sandbox PostgreSQL started in ${((performance.now() - started) / 1000).toFixed(1)} s on 127.0.0.1:${server.port} ` +
        `(max_connections ${DEMO_MAX_CONNECTIONS}, pg_stat_statements; data in ${server.dir}, removed on exit)`,
    );

    // 2. The plant's data.
    started = performance.now();
    const appPassword = `app-${randomBytes(4).toString('hex')}`;
    const loaded = await loadPlant(server, appPassword, scale);
    const dba = new pg.Client({
      connectionString: server.dsn({ database: PLANT_DATABASE }),
      application_name: 'dbdiag-demo-dba',
    });
    // On Ctrl-C the server may go first: its goodbye must not crash the demo.
    dba.on('error', (error) => log.debug({ err: error }, 'DBA session ended'));
    await dba.connect();
    cleanups.push(() => dba.end().catch(() => undefined));
    print(
      `Plant loaded in ${loaded.seconds.toFixed(1)} s: ${loaded.workOrders.toLocaleString('en-US')} work orders, ` +
        `${loaded.routingOperations.toLocaleString('en-US')} routing operations, ` +
        `${loaded.historyRows.toLocaleString('en-US')} rows in ${HISTORY_TABLE} (${Math.round(loaded.historyBytes / 1048576)} MB) — ` +
        'no index on its work_order_id',
    );
    if (signal?.aborted) return finish();

    // 3. The agent, inside before the load (its one connection is already open when the server fills up).
    const config = demoConfig(
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
    await agent.waitForSnapshot(DEMO_TARGET, (s) => s.up, 20_000);
    options.onAgentStarted?.(agent.url);
    print(
      `dbdiag agent sampling every ${options.intervalSeconds} s: ${agent.url}/metrics  ${agent.url}/api/findings`,
    );
    const runner = agent.runners[0];
    if (!runner) throw new Error('the agent has no runner for the demo target');
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
    const readSeconds = await measureReadSeconds(dba, scale.workOrders);
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
      `Application: ${APP_INSTANCES} instances x pool of ${APP_POOL_SIZE} (together more than the server's ${DEMO_MAX_CONNECTIONS}); ` +
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
      print(formatAppWindow(w, lineNote));
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
    summary.incident = { app: incidentApp, server: serverView(agent.latest(DEMO_TARGET)) };
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

    // 6. --fix: the proposed index, applied online while the load goes on; then the recovery.
    const index = diagnosisOf(runner.findings).index;
    if (options.fix && index && !signal?.aborted) {
      app.phase = 'fixing';
      const p95 = (incidentApp.readP95Ms ?? 1000) / 1000;
      const lockTimeout = Math.max(5, Math.ceil(p95 * 2));
      print(
        `Applying the proposed index online (lock_timeout ${lockTimeout} s: twice the current read p95, ` +
          `since CREATE INDEX CONCURRENTLY waits for running statements):\n  ${index.fix?.statements.at(-1) ?? ''}`,
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
      const costAfter = await readPathCost(dba);
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
      // At least a few seconds of the recovered app in the figures (given 30 s to come).
      const waitFrom = performance.now();
      while (!signal?.aborted && recoveredFor() < 3 * APP_LINE_SECONDS * 1000) {
        if (recoveredFor() < 0 && performance.now() - waitFrom > 30_000) break;
        await sleep(250, signal);
      }
      const recoveryApp: AppWindow = load.window('phase');
      summary.recovery = {
        app: recoveryApp,
        server: serverView(agent.latest(DEMO_TARGET)),
      } satisfies PhaseView;
    } else if (options.fix && !index) {
      print('No missing-index finding on the history table to apply: --fix skipped.');
    }
    runner.off('snapshot', onSnapshot);
    return finish();
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => log.warn({ err: error }, 'demo cleanup step failed'));
    }
  }

  function finish(): DemoResult {
    if (summary.findings.length === 0 && agent) summary.findings = [...(agent.runners[0]?.findings ?? [])];
    // The findings as they stood at the diagnosis (the incident's picture, before any fix
    // changed it), and those first raised afterwards as last seen.
    const atDiagnosis = new Map(summary.findings.map((f) => [f.id, f]));
    return {
      findings: [...tracking.seen.values()].map((f) => atDiagnosis.get(f.id) ?? f),
      summary,
      timeline,
    };
  }
}

export { formatSummary };
