import type { Server } from 'node:http';
import { isLoopback, parseListen } from '../config/listen.js';
import { resolveTarget } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { drivers } from '../engines/drivers.js';
import type { TargetSpec } from '../engines/engine.js';
import { createMetrics, type TargetView } from '../exporter/metrics.js';
import { TargetCounters } from '../exporter/target-counters.js';
import type { ReportSource } from '../http/routes.js';
import { createHttpServer, listen } from '../http/server.js';
import { loadWebConfig, OPEN_WEB_CONFIG, requiresAuth } from '../http/web-config.js';
import { type Logger, rootLogger } from '../log.js';
import { agentVersion } from '../package-root.js';
import { consoleApply } from '../remediation/console-apply.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { AgentRecorder } from '../state/recorder.js';
import type { Store } from '../state/store.js';
import type { StoreStatus } from '../state/writer.js';
import { type ConfigChanges, describeChanges, diffConfig, effectiveConfig } from './reload.js';
import { type RunnerOptions, TargetRunner } from './target-runner.js';

/** The stored reports, for /reports/ (read on request; the reports code loads on first use). */
function reportSource(store: Store): ReportSource {
  return {
    list: async () => (await import('../reports/store.js')).listReports(store),
    get: async (id) => (await import('../reports/store.js')).getReport(store, id),
  };
}

export interface StartAgentOptions {
  /** parent logger; components add their own `component` binding (default: the root logger) */
  log?: Logger;
  /** per-target runner options (advisors, extra signal sources), given the runbook base URL */
  runnerOptions?: RunnerOptionsFactory;
  /**
   * the state store (the `agent` command opens it from dataDir / store); without one the agent
   * keeps findings in memory only and /api/findings?status=resolved has no history
   */
  store?: Store;
  /** why the store could not be opened (the agent runs degraded, in memory only) */
  storeUnavailable?: string;
}

export type RunnerOptionsFactory = (target: string, runbookBaseUrl: string) => RunnerOptions;

export interface RunningAgent {
  /** base URL of the HTTP server, e.g. http://127.0.0.1:9187 */
  url: string;
  runbookBaseUrl: string;
  runners: readonly TargetRunner[];
  /** what the agent records in the state store; null without a store */
  recorder: AgentRecorder | null;
  latest(target: string): Snapshot | undefined;
  waitForSnapshot(target: string, predicate: (s: Snapshot) => boolean, timeoutMs: number): Promise<Snapshot>;
  /**
   * Applies a new config (SIGHUP): targets added, removed or reconnected when their settings
   * changed; every other target keeps its session, history and findings and takes the new
   * intervals and thresholds. Keys that need a restart keep their running value. Throws
   * (changing nothing) when a new target cannot be resolved. Logs one line of what changed.
   */
  reload(next: Config, runnerOptions?: RunnerOptionsFactory): Promise<ConfigChanges>;
  stop(): Promise<void>;
}

interface Entry {
  runner: TargetRunner;
  counters: TargetCounters;
}

/** Starts sampling every configured target and serves /metrics and the JSON API. */
export async function startAgent(config: Config, options: StartAgentOptions = {}): Promise<RunningAgent> {
  const log = options.log ?? rootLogger;
  const specs = config.targets.map((t) => resolveTarget(t));
  const entries: Entry[] = [];
  let running = config;
  let reloading: Promise<unknown> = Promise.resolve();
  const recorder = options.store
    ? await AgentRecorder.start(
        options.store,
        config,
        specs.map((s) => s.name),
        log.child({ component: 'store' }),
      )
    : null;
  const startedAt = Date.now();
  const storeStatus = (): StoreStatus | null =>
    recorder?.status() ??
    (options.storeUnavailable === undefined
      ? null
      : {
          backend: config.store ? 'postgres' : 'sqlite',
          location: '',
          ok: false,
          lastError: options.storeUnavailable,
          failingSince: startedAt,
          errors: new Map([['open', 1]]),
          pending: 0,
          dropped: 0,
          lastFlushSeconds: null,
        });

  const views = (): TargetView[] =>
    entries.map(({ runner, counters }) => ({
      name: runner.spec.name,
      engine: runner.spec.engine,
      latest: runner.latest,
      lastUpAt: runner.lastUpAt,
      rates: runner.rates,
      findings: runner.findings,
      probeErrors: runner.probeErrors,
      advisorErrors: runner.advisorErrors,
      verificationSeconds: runner.verificationSeconds,
      slowLog: runner.slowLogStatus,
      counters,
      replicaOf: running.targets.find((t) => t.name === runner.spec.name)?.replicaOf ?? null,
    }));
  const metrics = createMetrics({ targets: views, store: storeStatus });
  const web = config.webConfigFile === undefined ? OPEN_WEB_CONFIG : loadWebConfig(config.webConfigFile);
  if (!requiresAuth(web) && !isLoopback(parseListen(config.listen).host)) {
    log.warn(
      { component: 'http', listen: config.listen },
      'serving /metrics and /api to the network without authentication: set basic_auth_users or bearer_token_file in a web config file (--web.config.file)',
    );
  }
  const server: Server = createHttpServer({
    metrics,
    web,
    console: {
      version: agentVersion(),
      faroUrl: config.console.faro?.url ?? null,
      applyEnabled: config.apply.enabled,
      refreshSeconds: config.console.refreshSeconds,
    },
    log: log.child({ component: 'http' }),
    source: {
      targets: () =>
        entries.map(({ runner }) => ({
          name: runner.spec.name,
          engine: runner.spec.engine,
          dsn: runner.spec.dsn,
          latest: runner.latest,
          findings: runner.findings,
          trackedFindings: runner.trackedFindings,
          slowLog: runner.slowLogStatus,
        })),
      store: storeStatus,
      findingsHistory: recorder ? (query) => recorder.findings(query) : undefined,
      reports: recorder ? reportSource(recorder.store) : undefined,
      history: recorder?.store,
      apply: recorder
        ? consoleApply(() => running, recorder.store, log.child({ component: 'apply' }))
        : undefined,
    },
  });
  const url = await listen(server, config.listen);
  const runbookBaseUrl = config.runbookBaseUrl ?? `${url}/runbooks`;

  const createEntry = (
    spec: TargetSpec,
    factory: RunnerOptionsFactory | undefined,
    restoredFindings: RunnerOptions['restoredFindings'],
  ): Entry => {
    const runnerOptions: RunnerOptions = {
      ...factory?.(spec.name, runbookBaseUrl),
      restoredFindings: restoredFindings ?? [],
    };
    runnerOptions.extraSignals?.onObservation?.((seconds) => metrics.observeSlowQuery(spec.name, seconds));
    const runner = new TargetRunner(
      spec,
      running,
      drivers[spec.engine],
      log.child({ component: 'sampler', target: spec.name }),
      runnerOptions,
    );
    const counters = new TargetCounters({
      statements: running.topN.statements,
      tables: running.topN.tables,
      slowQueryClasses: running.topN.slowQueryClasses,
    });
    runner.on('snapshot', (snapshot) => counters.update(runner.rates, snapshot.signals.slowlog));
    recorder?.attach(runner);
    return { runner, counters };
  };

  for (const spec of specs)
    entries.push(createEntry(spec, options.runnerOptions, recorder?.restoredFindings(spec.name)));
  for (const { runner } of entries) runner.start();

  const applyReload = async (
    next: Config,
    factory: RunnerOptionsFactory | undefined,
  ): Promise<ConfigChanges> => {
    const changes = diffConfig(running, next);
    const fresh = new Map<string, TargetSpec>();
    // resolve every new or changed target first: a missing environment variable changes nothing
    for (const target of next.targets) {
      if (changes.added.includes(target.name) || changes.changed.has(target.name)) {
        fresh.set(target.name, resolveTarget(target));
      }
    }
    running = effectiveConfig(running, next);
    const retired: Entry[] = [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i] as Entry;
      const name = entry.runner.spec.name;
      if (changes.removed.includes(name) || changes.changed.has(name)) {
        retired.push(entry);
        entries.splice(i, 1);
      } else {
        entry.runner.reconfigure(running);
      }
    }
    await Promise.all(retired.map((e) => e.runner.stop()));
    // a target reconnected with new settings goes on with its findings' episodes
    const carried = new Map(retired.map((e) => [e.runner.spec.name, [...e.runner.trackedFindings]]));
    const order = new Map(next.targets.map((t, i) => [t.name, i]));
    for (const [name, spec] of fresh) {
      const entry = createEntry(spec, factory ?? options.runnerOptions, carried.get(name));
      entries.push(entry);
      entry.runner.start();
      log.debug({ component: 'agent', target: name }, 'target started after reload');
    }
    entries.sort((a, b) => (order.get(a.runner.spec.name) ?? 0) - (order.get(b.runner.spec.name) ?? 0));
    log.info(
      { component: 'agent', targets: entries.map((e) => e.runner.spec.name) },
      `configuration reloaded: ${describeChanges(changes)}`,
    );
    return changes;
  };
  log.info({ component: 'agent', url, targets: specs.map((s) => s.name) }, 'dbdiag agent listening');

  let reportScheduler: { stop(): Promise<void> } | null = null;
  if (config.reports.enabled) {
    if (!recorder) {
      log.warn(
        { component: 'reports' },
        'reports are enabled but the agent keeps no state store: no reports',
      );
    } else {
      const { startReportSchedules } = await import('../reports/scheduled.js');
      reportScheduler = await startReportSchedules(
        recorder.store,
        config,
        log.child({ component: 'reports' }),
        url,
      );
    }
  }

  let drillScheduler: { stop(): Promise<void> } | null = null;
  if ((config.drills.schedules ?? []).length > 0) {
    if (!recorder) {
      log.warn({ component: 'drills' }, 'drills are scheduled but the agent keeps no state store: no drills');
    } else {
      const { startDrillSchedules } = await import('../drills/schedule.js');
      drillScheduler = await startDrillSchedules(recorder.store, config, log.child({ component: 'drills' }));
    }
  }

  const find = (target: string): TargetRunner => {
    const entry = entries.find((e) => e.runner.spec.name === target);
    if (!entry) throw new Error(`no target named "${target}"`);
    return entry.runner;
  };

  return {
    url,
    runbookBaseUrl,
    get runners() {
      return entries.map((e) => e.runner);
    },
    recorder,
    latest: (target) => find(target).latest,
    waitForSnapshot(target, predicate, timeoutMs) {
      const runner = find(target);
      const current = runner.latest;
      if (current && predicate(current)) return Promise.resolve(current);
      return new Promise<Snapshot>((resolve, reject) => {
        const timer = setTimeout(() => {
          runner.off('snapshot', onSnapshot);
          reject(new Error(`target "${target}": no matching snapshot within ${timeoutMs} ms`));
        }, timeoutMs);
        const onSnapshot = (snapshot: Snapshot) => {
          if (!predicate(snapshot)) return;
          clearTimeout(timer);
          runner.off('snapshot', onSnapshot);
          resolve(snapshot);
        };
        runner.on('snapshot', onSnapshot);
      });
    },
    reload(next, runnerOptions) {
      // one reload at a time, in the order the signals came
      const result = reloading.then(() => applyReload(next, runnerOptions));
      reloading = result.catch(() => undefined);
      return result;
    },
    async stop() {
      await reloading;
      await reportScheduler?.stop();
      await drillScheduler?.stop();
      await Promise.all(entries.map((e) => e.runner.stop()));
      await recorder?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
