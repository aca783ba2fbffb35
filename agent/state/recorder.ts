import type { Config } from '../config/schema.js';
import type { TrackedFinding, TrackerUpdate } from '../findings/tracker.js';
import type { Logger } from '../log.js';
import type { Rates } from '../snapshot/rates.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { HOUR_MS, HourlyRollupBuilder, hourOf, SettingsWatcher } from './rollup.js';
import type { FindingQuery, HourlyRollup, Store } from './store.js';
import { type StoreStatus, StoreWriter } from './writer.js';

// What the agent keeps of each target's cycles: the finding changes, the hour being filled,
// settings changes and the server version, queued through the StoreWriter after each cycle.
// At start it reads back what a restarted agent goes on from: the active finding episodes, the
// current hour, the last settings. A store that cannot be read at start only costs that memory.

/** What the recorder needs of a target runner (its events), nothing of its internals. */
export interface RecordedRunner {
  readonly spec: { name: string };
  readonly rates: Rates;
  on(event: 'snapshot', listener: (snapshot: Snapshot) => void): unknown;
  on(event: 'findings', listener: (update: TrackerUpdate) => void): unknown;
}

interface TargetMemory {
  findings: TrackedFinding[];
  hour: HourlyRollup | undefined;
  settings: Record<string, string>;
}

const PRUNE_EVERY_MS = HOUR_MS;

export class AgentRecorder {
  private readonly writer: StoreWriter;
  private readonly memory = new Map<string, TargetMemory>();
  private pruneTimer: NodeJS.Timeout | null = null;

  private constructor(
    readonly store: Store,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.writer = new StoreWriter(store, log);
  }

  /** Opens the recorder for these targets: reads back what a restart goes on from, prunes once. */
  static async start(
    store: Store,
    config: Config,
    targets: readonly string[],
    log: Logger,
  ): Promise<AgentRecorder> {
    const recorder = new AgentRecorder(store, config, log);
    const now = Date.now();
    for (const target of targets) {
      const memory: TargetMemory = { findings: [], hour: undefined, settings: {} };
      try {
        memory.findings = await store.findings({ status: 'active', target });
        memory.hour = (await store.rollups({ target, from: hourOf(now), to: hourOf(now) + HOUR_MS }))[0];
        memory.settings = await store.currentSettings(target);
        if (memory.findings.length > 0)
          log.info(
            { target, findings: memory.findings.length },
            'active findings restored from the state store',
          );
      } catch (error) {
        recorder.writer.reportError('read', error);
      }
      recorder.memory.set(target, memory);
    }
    await recorder.prune();
    recorder.pruneTimer = setInterval(() => void recorder.prune(), PRUNE_EVERY_MS);
    recorder.pruneTimer.unref?.();
    return recorder;
  }

  /** active episodes the store kept for a target (for its runner's tracker) */
  restoredFindings(target: string): TrackedFinding[] {
    return this.memory.get(target)?.findings ?? [];
  }

  /** Records a runner's cycles from now on. */
  attach(runner: RecordedRunner): void {
    const target = runner.spec.name;
    const memory = this.memory.get(target);
    const rollup = new HourlyRollupBuilder(
      target,
      {
        topStatements: this.config.topN.statements,
        topTables: this.config.topN.tables,
        saturationWarningRatio: this.config.thresholds.saturationWarningRatio,
        intervalSeconds: this.config.intervalSeconds,
      },
      memory?.hour,
    );
    const settings = new SettingsWatcher(target, memory?.settings ?? {});
    let version: { version: string; hour: number } | null = null;
    runner.on('findings', (update) =>
      this.writer.enqueue({ findings: update.changed, events: update.events }),
    );
    runner.on('snapshot', (snapshot) => {
      const finished = rollup.observe(snapshot, runner.rates);
      const current = rollup.current();
      const rollups = [finished, current].filter((r): r is HourlyRollup => r !== null);
      const v = snapshot.serverVersion;
      // the version on first sight, when it changes, and once an hour (its lastSeen)
      const versionSeen =
        v !== null && (version?.version !== v || version.hour !== hourOf(snapshot.at))
          ? [{ target, version: v, firstSeen: snapshot.at, lastSeen: snapshot.at }]
          : [];
      if (v !== null) version = { version: v, hour: hourOf(snapshot.at) };
      this.writer.enqueue({ rollups, settings: settings.observe(snapshot), versions: versionSeen });
    });
  }

  /** Finding history from the store (resolved episodes, or any status with filters). */
  findings(query: FindingQuery): Promise<TrackedFinding[]> {
    return this.store.findings(query).catch((error: unknown) => {
      this.writer.reportError('read', error);
      throw error;
    });
  }

  status(): StoreStatus {
    return this.writer.status();
  }

  /** writes what is queued now (tests, shutdown) */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  private async prune(): Promise<void> {
    try {
      const { removed } = await this.store.prune(this.config.retention, Date.now());
      const total = Object.values(removed).reduce((a, b) => a + b, 0);
      if (total > 0) this.log.info({ removed }, 'state store: rows past their retention removed');
    } catch (error) {
      this.writer.reportError('prune', error);
    }
  }

  /** Flushes what is queued and stops the timers (the store stays open: its owner closes it). */
  async close(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.writer.close();
  }
}
