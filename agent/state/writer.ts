import { errorMessage } from '../errors.js';
import type { TrackedFinding } from '../findings/tracker.js';
import type { Logger } from '../log.js';
import type {
  FindingEvent,
  HourlyRollup,
  ServerVersionSeen,
  SettingChange,
  Store,
  StoredRecord,
} from './store.js';

// Writes to the store leave the sampling path here: a cycle enqueues what changed and goes on;
// a timer flushes the queue in one batch. A failing or full store never stops sampling or
// /metrics: the batch is kept and retried at the next flush (what has a key — finding
// episodes, rollup hours — is kept as its latest state, so the queue stays bounded by what is
// active; appended events past MAX_PENDING are dropped, oldest first, and counted).

export interface WriteBatch {
  findings?: readonly TrackedFinding[];
  events?: readonly FindingEvent[];
  rollups?: readonly HourlyRollup[];
  settings?: readonly SettingChange[];
  versions?: readonly ServerVersionSeen[];
  records?: readonly StoredRecord[];
}

export interface StoreStatus {
  backend: Store['backend'];
  location: string;
  ok: boolean;
  /** the last error, while the store is failing */
  lastError: string | null;
  failingSince: number | null;
  /** failed operations since start, by operation (dbdiag_store_errors_total) */
  errors: ReadonlyMap<string, number>;
  pending: number;
  dropped: number;
  /** duration of the last successful flush, seconds */
  lastFlushSeconds: number | null;
}

const MAX_PENDING = 10_000;

export class StoreWriter {
  private findings = new Map<string, TrackedFinding>();
  private rollups = new Map<string, HourlyRollup>();
  private versions = new Map<string, ServerVersionSeen>();
  private records = new Map<string, StoredRecord>();
  private events: FindingEvent[] = [];
  private settings: SettingChange[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly errorCounts = new Map<string, number>();
  private lastError: string | null = null;
  private failingSince: number | null = null;
  private droppedCount = 0;
  private lastFlushSeconds: number | null = null;
  private closed = false;

  constructor(
    readonly store: Store,
    private readonly log: Logger,
    /** how long a change may wait for the next batch, ms */
    private readonly flushDelayMs = 1000,
  ) {}

  get pending(): number {
    return (
      this.findings.size +
      this.rollups.size +
      this.versions.size +
      this.records.size +
      this.events.length +
      this.settings.length
    );
  }

  /** Queues a batch (never waits, never throws) and schedules a flush. */
  enqueue(batch: WriteBatch): void {
    for (const f of batch.findings ?? []) this.findings.set(`${f.finding.id}\u0000${f.firstSeen}`, f);
    for (const r of batch.rollups ?? []) this.rollups.set(`${r.target}\u0000${r.hour}`, r);
    for (const v of batch.versions ?? []) {
      const key = `${v.target}\u0000${v.version}`;
      const before = this.versions.get(key);
      this.versions.set(key, before ? { ...v, firstSeen: Math.min(before.firstSeen, v.firstSeen) } : v);
    }
    for (const r of batch.records ?? []) this.records.set(`${r.kind}\u0000${r.id}`, r);
    if (batch.events) this.events.push(...batch.events);
    if (batch.settings) this.settings.push(...batch.settings);
    this.trim();
    this.schedule();
  }

  private trim(): void {
    const over = this.events.length + this.settings.length - MAX_PENDING;
    if (over <= 0) return;
    const fromEvents = Math.min(over, this.events.length);
    this.events.splice(0, fromEvents);
    this.settings.splice(0, over - fromEvents);
    this.droppedCount += over;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.flushDelayMs);
    this.timer.unref?.();
  }

  private countError(operation: string, error: unknown, now: number): void {
    this.errorCounts.set(operation, (this.errorCounts.get(operation) ?? 0) + 1);
    const message = errorMessage(error);
    if (this.lastError === null) {
      this.log.error({ err: error, operation }, `state store failing (sampling goes on): ${message}`);
      this.failingSince = now;
    } else if (message !== this.lastError) {
      this.log.warn({ operation }, `state store still failing: ${message}`);
    }
    this.lastError = message;
  }

  /** Counts a failed read or maintenance step (API, prune) the same way as a failed write. */
  reportError(operation: string, error: unknown): void {
    this.countError(operation, error, Date.now());
  }

  /** Writes everything queued, in one go; a failure keeps it queued. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.pending > 0 ? this.flush() : undefined));
    if (this.pending === 0) return Promise.resolve();
    const batch = {
      findings: [...this.findings.values()],
      rollups: [...this.rollups.values()],
      versions: [...this.versions.values()],
      records: [...this.records.values()],
      events: this.events,
      settings: this.settings,
    };
    this.findings = new Map();
    this.rollups = new Map();
    this.versions = new Map();
    this.records = new Map();
    this.events = [];
    this.settings = [];
    const started = performance.now();
    this.flushing = (async () => {
      try {
        await this.store.saveFindings(batch.findings);
        await this.store.appendFindingEvents(batch.events);
        batch.events = [];
        await this.store.saveRollups(batch.rollups);
        await this.store.saveSettingChanges(batch.settings);
        batch.settings = [];
        for (const v of batch.versions) await this.store.saveServerVersion(v);
        await this.store.putRecords(batch.records);
        this.lastFlushSeconds = (performance.now() - started) / 1000;
        if (this.lastError !== null) this.log.info('state store writes again');
        this.lastError = null;
        this.failingSince = null;
      } catch (error) {
        this.countError('write', error, Date.now());
        // keep what was not written, behind anything queued meanwhile (newer states win)
        for (const f of batch.findings) {
          const key = `${f.finding.id}\u0000${f.firstSeen}`;
          if (!this.findings.has(key)) this.findings.set(key, f);
        }
        for (const r of batch.rollups) {
          const key = `${r.target}\u0000${r.hour}`;
          if (!this.rollups.has(key)) this.rollups.set(key, r);
        }
        for (const v of batch.versions) {
          const key = `${v.target}\u0000${v.version}`;
          if (!this.versions.has(key)) this.versions.set(key, v);
        }
        for (const r of batch.records) {
          const key = `${r.kind}\u0000${r.id}`;
          if (!this.records.has(key)) this.records.set(key, r);
        }
        this.events = [...batch.events, ...this.events];
        this.settings = [...batch.settings, ...this.settings];
        this.trim();
        this.schedule();
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  status(): StoreStatus {
    return {
      backend: this.store.backend,
      location: this.store.location,
      ok: this.lastError === null,
      lastError: this.lastError,
      failingSince: this.failingSince,
      errors: this.errorCounts,
      pending: this.pending,
      dropped: this.droppedCount,
      lastFlushSeconds: this.lastFlushSeconds,
    };
  }

  /** Flushes what is queued (once) and stops the timer; the store stays open. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush().catch(() => undefined);
  }
}
