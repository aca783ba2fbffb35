import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { configSchema } from '../config/schema.js';
import type { thresholdsSchema } from '../config/thresholds.js';
import { dialectOf } from '../engines/dialects.js';
import type { EngineName } from '../engines/names.js';
import type { FixAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import type { Logger } from '../log.js';
import { type RunningAgent, startAgent } from '../runtime/agent.js';
import { runnerOptionsFor } from '../runtime/runner-options.js';
import { sandboxEngineOf, startSandboxServer } from '../sandbox/engines.js';
import { plantSql } from '../sandbox/plant.js';
import type {
  ConnectOptions,
  SandboxEngine,
  SandboxServer,
  SandboxServerOptions,
  SandboxSession,
} from '../sandbox/server.js';
import { checkRunbook } from './runbook-check.js';
import type { DrillContext, DrillScenario, ScenarioOutcome } from './scenario.js';
import type { AppliedActionView, RunbookCheck } from './scorecard.js';
import { sleep } from './sleep.js';
import type { TeamConsole } from './team.js';

// The shape every fault drill but the plant's incident shares: a database and an application
// login of the drill's own on a sandbox server (its own, or one its caller keeps), the agent
// sampling it (inside before the fault, as in production), a small normal workload whose
// requests are the user-visible symptom, then t0: the fault; the expected findings awaited;
// their runbook checked on the faulty server; the mitigation built from the findings' own
// fix.actions and run through the engine's executor; recovery awaited (the findings resolved
// by the agent, the workload without errors and its p95 back near the baseline); cleanup,
// then a check of what is left. A scenario file gives only what is its own (see FaultDrill).

export type DrillThresholds = Partial<z.input<typeof thresholdsSchema>>;

/** What a scenario's steps work with. */
export interface FaultContext {
  server: SandboxServer;
  engine: SandboxEngine;
  /** the drill's own database on the server */
  database: string;
  /** the application's login on it (an ordinary one: a full server refuses it) */
  app: ConnectOptions;
  /** the administrator's session in the database, opened before the fault (inside a full server) */
  dba: SandboxSession;
  scale: 'small' | 'default';
  /** numbers a scenario's workload and fault share during one run (e.g. the range the workload reads) */
  vars: Record<string, number>;
  print: (text: string) => void;
  log: Logger;
}

/** An injected fault; release() undoes what is left of it (idempotent, never throws). */
export interface Injected {
  release(): Promise<void>;
  /** one line for the narration: what was injected */
  description: string;
  /** once the findings are in, before the mitigation: measure the fault's effect (what it did) */
  onDetected?(): Promise<string | null>;
  /** after the mitigation: null when the fault's own effect is gone, else what is still wrong */
  verify?(): Promise<string | null>;
}

export interface FaultDrill {
  name: string;
  summary: string;
  engines: readonly EngineName[];
  findingKinds: readonly string[];
  alertRules: readonly string[];
  /**
   * the expected finding's own threshold time (its thresholds below), in seconds: the drill
   * must see it within this plus two sampling intervals of 2 s (detectLimitSeconds)
   */
  thresholdSeconds: number;
  /** the drill's agent thresholds: low, so a drill is short */
  thresholds: DrillThresholds;
  /** what the scenario needs of a sandbox server (its own or a shared one with these settings) */
  server: SandboxServerOptions;
  needsOwnServer: boolean;
  /** the agent follows the server's statement log as the target's slow log */
  followSlowLog?: boolean;
  /** schema and data, as the administrator in the drill's database (portable SQL) */
  setup(ctx: FaultContext): Promise<void>;
  /** the normal workload: workers, pause between requests, one request */
  workload: {
    workers: number;
    pauseMs: number;
    /** each request opens its own connection (a pool that cannot get one fails the request) */
    connectPerRequest: boolean;
    request(session: SandboxSession, ctx: FaultContext): Promise<unknown>;
  };
  inject(ctx: FaultContext): Promise<Injected>;
  /**
   * The mitigation, from the findings' own fix.actions (a terminate-session action gets the
   * session picked from the finding's Diagnosis output, as a person would): the actions to run.
   */
  mitigate(ctx: FaultContext, findings: readonly Finding[]): Promise<FixAction[]>;
}

const TARGET = 'drill-db';
const BASELINE_MS = 3000;
const RECOVERY_LIMIT_MS = 60_000;
/** a clean window of the workload, for "the symptom cleared" */
const CLEAN_WINDOW_MS = 2000;
/** recovered: p95 at most the baseline's times this, or baseline + the floor (a shared machine is noisy) */
const P95_SLACK = 2;
const P95_FLOOR_MS = 50;

interface Sample {
  at: number;
  ms: number;
  ok: boolean;
}

interface WindowView {
  requests: number;
  errors: number;
  p95Ms: number | null;
}

function p95(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? null;
}

/** The normal workload: its requests, timed, are the user-visible symptom. */
class Workload {
  readonly samples: Sample[] = [];
  private stopped = false;
  private readonly running: Promise<void>[] = [];
  private readonly started = performance.now();

  constructor(
    private readonly ctx: FaultContext,
    private readonly spec: FaultDrill['workload'],
  ) {}

  now(): number {
    return performance.now() - this.started;
  }

  start(): void {
    for (let w = 0; w < this.spec.workers; w++) this.running.push(this.worker());
  }

  private async worker(): Promise<void> {
    let session: SandboxSession | null = null;
    while (!this.stopped) {
      const at = this.now();
      try {
        session ??= await this.ctx.server.connect({ ...this.ctx.app, connectTimeoutMs: 3000 });
        await this.spec.request(session, this.ctx);
        this.samples.push({ at, ms: this.now() - at, ok: true });
      } catch (error) {
        this.samples.push({ at, ms: this.now() - at, ok: false });
        this.ctx.log.debug({ err: error }, 'drill workload request failed');
        await session?.close();
        session = null;
      }
      if (this.spec.connectPerRequest) {
        await session?.close();
        session = null;
      }
      await sleep(this.spec.pauseMs);
    }
    await session?.close();
  }

  window(fromMs: number, toMs = this.now()): WindowView {
    const inside = this.samples.filter((s) => s.at >= fromMs && s.at < toMs);
    return {
      requests: inside.length,
      errors: inside.filter((s) => !s.ok).length,
      p95Ms: p95(inside.filter((s) => s.ok).map((s) => s.ms)),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}

function kindsPresent(findings: readonly Finding[], kinds: readonly string[]): boolean {
  return kinds.every((kind) => findings.some((f) => f.kind === kind));
}

/**
 * The session ids a finding's Diagnosis statement lists (its first statement; the first
 * column of each row is the session id on every engine), in the statement's order.
 */
export async function sessionsListedBy(dba: SandboxSession, finding: Finding | undefined): Promise<number[]> {
  const diagnosis = finding?.fix?.statements[0];
  if (diagnosis === undefined) return [];
  const rows = await dba.query(diagnosis);
  return rows
    .map((row) => Number(Object.values(row)[0]))
    .filter((id) => Number.isInteger(id) && id !== dba.id);
}

/** A finding's terminate-session action (the one ending the session unless cancelOnly is asked) for each session. */
export function terminateActions(finding: Finding | undefined, sessions: readonly number[]): FixAction[] {
  const action = finding?.fix?.actions.find((a) => a.type === 'terminate-session' && a.cancelOnly !== true);
  if (action === undefined || action.type !== 'terminate-session') return [];
  return sessions.map((session) => ({ ...action, session, note: "listed by the finding's Diagnosis" }));
}

/** Inserts rows in batches of literal VALUES (portable SQL, no placeholders): rows(i) gives row i's values. */
export async function insertRows(
  session: SandboxSession,
  table: string,
  columns: string,
  count: number,
  row: (i: number) => string,
  batch = 1000,
): Promise<void> {
  for (let from = 1; from <= count; from += batch) {
    const values: string[] = [];
    for (let i = from; i < Math.min(count + 1, from + batch); i++) values.push(`(${row(i)})`);
    await session.query(`INSERT INTO ${table} (${columns}) VALUES ${values.join(', ')}`);
  }
}

async function runFaultDrill(spec: FaultDrill, context: DrillContext): Promise<ScenarioOutcome> {
  const { print, log, signal } = context;
  const failures: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const seen = new Map<string, Finding>();
  let runbook: RunbookCheck = { url: null, resolved: false, diagnosisRan: false, statements: 0, failed: [] };
  const applied: AppliedActionView[] = [];
  /** team mode: the console taking the team's marks */
  let teamConsole: TeamConsole | null = null;
  const times = {
    detectSeconds: null as number | null,
    mitigateSeconds: null as number | null,
    recoverSeconds: null as number | null,
  };
  let sandbox: ScenarioOutcome['sandbox'] = null;
  const leftovers: string[] = [];
  let server: SandboxServer | null = context.server ?? null;
  let label = server?.label ?? '';
  const symptom: ScenarioOutcome['symptom'] = {
    baselineP95Ms: null,
    incidentP95Ms: null,
    incidentErrors: 0,
    recoveryP95Ms: null,
    recoveryErrors: null,
    recovered: false,
  };
  const suffix = randomBytes(4).toString('hex');
  const database = `dbdiag_drill_${spec.name.replaceAll('-', '_')}_${suffix}`;
  const login = `dbdiag_drill_app_${suffix}`;
  let ownsServer = false;
  try {
    if (server === null) {
      const started = performance.now();
      server = await startSandboxServer(context.engine, {
        ...spec.server,
        purpose: 'drill',
        onLog: (line) => log.debug({ server: line }, 'sandbox server'),
      });
      ownsServer = true;
      const own = server;
      cleanups.push(() => own.destroy());
      sandbox = { dir: server.dir, pid: server.pid() };
      print(
        `Sandbox ${server.label} ${server.version} started in ${((performance.now() - started) / 1000).toFixed(1)} s on ${server.host}:${server.port} (data in ${server.dir}, removed on exit)`,
      );
    }
    label = `${server.label} ${server.version}`;
    const srv = server;
    const engine = sandboxEngineOf(srv);
    // the database and login are dropped even when a later step fails (cleanups run in reverse)
    cleanups.push(async () => {
      const admin = await srv.connect();
      try {
        await engine.faults.dropDatabase(admin, database);
        await engine.faults.dropLogin(admin, login);
      } finally {
        await admin.close();
      }
    });
    await srv.query(`CREATE DATABASE ${database}`);
    const dba = await srv.connect({ database, applicationName: 'dbdiag-drill-dba' });
    cleanups.push(() => dba.close());
    const password = `drill-${randomBytes(6).toString('hex')}`;
    const ctx: FaultContext = {
      server: srv,
      engine,
      database,
      app: { database, user: login, password, applicationName: 'dbdiag-drill-app' },
      dba,
      scale: context.scale ?? 'default',
      vars: {},
      print,
      log,
    };
    const setupStarted = performance.now();
    await spec.setup(ctx);
    // the application's login, granted what the plant's is (reads and writes of the tables)
    for (const statement of plantSql[srv.engine].createAppUser(login, password, database))
      await dba.query(statement);
    for (const statement of plantSql[srv.engine].resetStatementStats) await dba.query(statement);
    print(`Drill database ${database} ready in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s`);
    if (signal.aborted) return outcome();

    // The agent, inside before the fault.
    const config = configSchema.parse({
      listen: '127.0.0.1:0',
      intervalSeconds: context.intervalSeconds,
      tablesIntervalSeconds: Math.max(2, context.intervalSeconds),
      thresholds: spec.thresholds,
      targets: [
        {
          name: TARGET,
          dsn: srv.dsn({ database }),
          ...(spec.followSlowLog && srv.slowLogPath !== null
            ? { slowLog: { path: srv.slowLogPath, format: 'auto' } }
            : {}),
        },
      ],
    });
    const agent: RunningAgent = await startAgent(config, {
      log,
      runnerOptions: runnerOptionsFor(config, log, { sandboxProof: true }),
    });
    cleanups.push(() => agent.stop());
    await agent.waitForSnapshot(TARGET, (s) => s.up, 30_000);
    const runner = agent.runners[0];
    if (runner === undefined) throw new Error('the drill agent has no runner');
    print(`dbdiag agent sampling every ${context.intervalSeconds} s: ${agent.url}/api/findings`);
    context.agentListening?.(agent.url);
    let t0: number | null = null;
    let detectedAt: number | null = null;
    const onSnapshot = () => {
      for (const f of runner.findings) seen.set(f.id, f);
      if (t0 !== null && detectedAt === null && kindsPresent(runner.findings, spec.findingKinds))
        detectedAt = performance.now();
    };
    runner.on('snapshot', onSnapshot);
    cleanups.push(async () => {
      runner.off('snapshot', onSnapshot);
    });

    const workload = new Workload(ctx, spec.workload);
    workload.start();
    cleanups.push(() => workload.stop());
    await sleep(BASELINE_MS, signal);
    const baseline = workload.window(0);
    symptom.baselineP95Ms = round(baseline.p95Ms);
    print(
      `Baseline: ${baseline.requests} requests, ${baseline.errors} errors, p95 ${baseline.p95Ms?.toFixed(1) ?? '?'} ms`,
    );
    if (signal.aborted) return outcome();

    // t0: the fault is in place (a leak that fills the server takes a moment to get there).
    const injected = await spec.inject(ctx);
    cleanups.push(() => injected.release());
    t0 = performance.now();
    context.faultInjected?.();
    const t0Workload = workload.now();
    print(`t0: ${injected.description}`);
    const limit = spec.thresholdSeconds + 2 * 2;
    const detectDeadline = t0 + (limit + 20) * 1000;
    while (!signal.aborted && detectedAt === null && performance.now() < detectDeadline)
      await sleep(200, signal);
    const incident = workload.window(t0Workload);
    symptom.incidentP95Ms = round(incident.p95Ms);
    symptom.incidentErrors = incident.errors;
    if (detectedAt === null) {
      if (!signal.aborted)
        failures.push(
          `${spec.findingKinds.join(' + ')} not raised within ${limit + 20} s (seen: ${[...new Set(runner.findings.map((f) => f.kind))].join(', ') || 'nothing'})`,
        );
      return outcome();
    }
    times.detectSeconds = round((detectedAt - t0) / 1000);
    const findings = [...runner.findings];
    const expected = spec.findingKinds.map((kind) => findings.find((f) => f.kind === kind));
    print(
      `Detected after ${times.detectSeconds} s: ${expected.map((f) => `${f?.kind} (${f?.severity}) ${f?.summary}`).join('; ')}`,
    );
    const effect = (await injected.onDetected?.()) ?? null;
    if (effect !== null) print(effect);
    const main = expected[0];
    runbook = await checkRunbook(main?.runbook ?? null, srv.engine, (sql) => dba.query(sql));
    print(
      `Runbook ${runbook.url ?? '(none)'}: ${runbook.resolved ? 'resolves' : 'does NOT resolve'}; ${runbook.statements - runbook.failed.length}/${runbook.statements} Diagnosis statements ran on the faulty server`,
    );
    if (signal.aborted) return outcome();

    const watched = expected.filter((f): f is Finding => f !== undefined).map((f) => f.id);
    const team = context.mode === 'team' ? (context.team ?? null) : null;
    teamConsole = team;
    let mitigatedAt: number;
    if (team !== null) {
      // team: the runbook in the terminal; people work on the server while dbdiag watches.
      team.begin(main?.runbook ?? null, t0, srv.dsn({ database }));
      const teamDeadline = performance.now() + team.limitSeconds * 1000;
      while (!signal.aborted && !team.gaveUp && performance.now() < teamDeadline) {
        const open = new Set(runner.findings.map((f) => f.id));
        if (watched.every((id) => !open.has(id))) break;
        await team.next(250);
      }
      mitigatedAt = performance.now();
      print(
        `The expected findings ${team.gaveUp ? 'are still open: the team gave up' : 'are resolved'}; watching the requests`,
      );
    } else {
      // auto: the mitigation, from the findings' actions, through the engine's executor.
      const actions = await spec.mitigate(ctx, findings);
      if (actions.length === 0) {
        failures.push('the findings propose no action the drill can apply');
        return outcome();
      }
      const mitigationStarted = performance.now();
      const done = await dialectOf(srv.engine).applyActions(dba, actions, { lockTimeoutSeconds: 10 });
      for (const a of done)
        applied.push({
          type: a.action.type,
          statement: a.statements.join(' '),
          attempts: a.attempts,
          seconds: round(a.seconds) ?? 0,
        });
      if (actions.some((a) => a.type === 'set-setting' && a.apply === 'restart')) {
        if (!ownsServer)
          throw new Error(`${spec.name}: a restart is part of the mitigation but the server is shared`);
        const restartedAt = Date.now();
        await srv.restart();
        await agent.waitForSnapshot(TARGET, (s) => s.up && s.at > restartedAt, 60_000);
        print('Server restarted for the setting to take effect; the agent is back in');
      }
      mitigatedAt = performance.now();
      times.mitigateSeconds = round((mitigatedAt - t0) / 1000);
      print(
        `Mitigated after ${times.mitigateSeconds} s (${((mitigatedAt - mitigationStarted) / 1000).toFixed(1)} s to apply):\n  ${applied.map((a) => a.statement).join('\n  ')}`,
      );
    }
    const mitigatedWorkload = workload.now();

    // Recovery: the expected findings resolved by the agent, the workload clean and fast again.
    const p95Limit = (baseline.p95Ms ?? 0) * P95_SLACK + P95_FLOOR_MS;
    let resolvedAt: number | null = null;
    /** the start of the first clean window, in performance.now() and in the workload's time */
    let cleanAt: number | null = null;
    let cleanFrom = 0;
    let extra: string | null = 'not checked';
    const recoveryDeadline = mitigatedAt + RECOVERY_LIMIT_MS;
    while (!signal.aborted && performance.now() < recoveryDeadline) {
      const open = new Set(runner.findings.map((f) => f.id));
      if (resolvedAt === null && watched.every((id) => !open.has(id))) resolvedAt = performance.now();
      const now = workload.now();
      if (cleanAt === null && now - mitigatedWorkload >= CLEAN_WINDOW_MS) {
        const w = workload.window(now - CLEAN_WINDOW_MS, now);
        if (w.requests > 0 && w.errors === 0 && w.p95Ms !== null && w.p95Ms <= p95Limit) {
          cleanAt = performance.now() - CLEAN_WINDOW_MS;
          cleanFrom = now - CLEAN_WINDOW_MS;
        }
      }
      if (resolvedAt !== null && cleanAt !== null) {
        extra = (await injected.verify?.()) ?? null;
        if (extra === null) break;
      }
      await sleep(250, signal);
    }
    const recovery = workload.window(mitigatedWorkload);
    // the recovered workload: from its first clean window on
    const after = cleanAt === null ? recovery : workload.window(cleanFrom);
    symptom.recoveryErrors = after.errors;
    symptom.recoveryP95Ms = round(after.p95Ms);
    symptom.recovered = resolvedAt !== null && cleanAt !== null && extra === null;
    if (team !== null) {
      if (symptom.recovered && resolvedAt !== null && cleanAt !== null)
        team.cleared(Math.max(resolvedAt, cleanAt));
      // the team's mitigation time: their last step marked done before the symptom cleared
      times.mitigateSeconds = team.lastStepSeconds();
    }
    if (symptom.recovered && resolvedAt !== null && cleanAt !== null) {
      times.recoverSeconds = round((Math.max(resolvedAt, cleanAt) - t0) / 1000);
      print(
        `Recovered after ${times.recoverSeconds} s: findings resolved, requests clean (p95 ${symptom.recoveryP95Ms} ms)`,
      );
    } else if (!signal.aborted) {
      failures.push(
        resolvedAt === null
          ? `the findings were not resolved within ${RECOVERY_LIMIT_MS / 1000} s of the mitigation`
          : cleanAt === null
            ? `the workload did not recover (errors ${recovery.errors}, p95 ${recovery.p95Ms?.toFixed(1) ?? '?'} ms vs limit ${p95Limit.toFixed(1)} ms)`
            : `not recovered: ${extra}`,
      );
    }
    return outcome();
  } catch (error) {
    failures.push(`the drill failed: ${error instanceof Error ? error.message : String(error)}`);
    return outcome();
  } finally {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => log.warn({ err: error }, 'drill cleanup step failed'));
    // A server the drill keeps running after it (a caller's): check, not assume, nothing is left on it.
    if (server !== null && !ownsServer) {
      const admin = await server.connect().catch(() => null);
      if (admin === null) leftovers.push('could not check the server for leftovers');
      else
        try {
          leftovers.push(...(await sandboxEngineOf(server).faults.remains(admin, { database, login })));
        } finally {
          await admin.close();
        }
    }
  }

  function outcome(): ScenarioOutcome {
    return {
      server: label,
      times,
      findings: [...seen.values()].map((f) => ({ kind: f.kind, object: f.object, severity: f.severity })),
      mitigation: { applied: applied.length > 0, actions: applied },
      symptom,
      runbook,
      failures,
      sandbox,
      leftovers,
      ...(teamConsole === null ? {} : { team: teamConsole.end() }),
    };
  }
}

/** The catalogue entry of a fault drill. */
export function faultDrill(spec: FaultDrill): DrillScenario {
  return {
    name: spec.name,
    summary: spec.summary,
    engines: spec.engines,
    findingKinds: spec.findingKinds,
    alertRules: spec.alertRules,
    detectLimitSeconds: spec.thresholdSeconds + 2 * 2,
    needsOwnServer: spec.needsOwnServer,
    run: (context) => runFaultDrill(spec, context),
  };
}
