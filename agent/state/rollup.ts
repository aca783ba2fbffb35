import type { Rates } from '../snapshot/rates.js';
import type { ConnectionStates } from '../snapshot/signals.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type {
  HourlyRollup,
  PeakMean,
  RollupExtra,
  SettingChange,
  SlowClassHour,
  StatementHour,
  TableHour,
} from './store.js';

// One target's hour, built from the cycles as they come (no I/O). Each signal group is counted
// once per fresh sample (probes on slower schedules carry their last sample over; rates that
// were not recomputed carry their `at`). The current hour is written whole after every cycle,
// so a restart loses at most one cycle: the agent seeds the hour from the store (`seed`).

export const HOUR_MS = 3600_000;

export function hourOf(at: number): number {
  return at - (at % HOUR_MS);
}

export interface RollupOptions {
  topStatements: number;
  topTables: number;
  saturationWarningRatio: number;
  intervalSeconds: number;
}

type ConnectionKey = keyof NonNullable<HourlyRollup['connections']>;
const CONNECTION_KEYS: readonly ConnectionKey[] = [
  'used',
  'active',
  'idle',
  'idleInTransaction',
  'waitingLock',
  'other',
];

interface StatementSum {
  fingerprint: string | null;
  calls: number;
  totalSeconds: number;
  rows: number;
}

interface TableSum {
  seqScans: number;
  seqRowsRead: number;
  indexScans: number;
  dataBytes: number | null;
  indexBytes: number | null;
  liveRows: number | null;
  deadRows: number | null;
}

interface HourState {
  hour: number;
  samples: number;
  upSamples: number;
  peak: Record<ConnectionKey, number>;
  sum: Record<ConnectionKey, number>;
  maxConnections: number | null;
  saturationMax: number | null;
  saturationWarningMinutes: number;
  cacheHits: number;
  cacheReads: number;
  serverVersion: string | null;
  statements: Map<string, StatementSum>;
  tables: Map<string, TableSum>;
  /** gauges last seen in the hour; slow-log classes summed over it */
  extra: Omit<RollupExtra, 'slowQueries'>;
  slow: Map<string, SlowClassHour>;
}

/** slow-log classes kept per hour */
const TOP_SLOW_CLASSES = 20;

function zeros(): Record<ConnectionKey, number> {
  return { used: 0, active: 0, idle: 0, idleInTransaction: 0, waitingLock: 0, other: 0 };
}

function emptyHour(hour: number): HourState {
  return {
    hour,
    samples: 0,
    upSamples: 0,
    peak: zeros(),
    sum: zeros(),
    maxConnections: null,
    saturationMax: null,
    saturationWarningMinutes: 0,
    cacheHits: 0,
    cacheReads: 0,
    serverVersion: null,
    statements: new Map(),
    tables: new Map(),
    extra: { serverStartedAt: null, databaseBytes: null, transactionIds: null, counters: [] },
    slow: new Map(),
  };
}

/** The state of an hour as the store kept it, to go on filling it after a restart. */
function hourFromRollup(r: HourlyRollup): HourState {
  const state = emptyHour(r.hour);
  state.samples = r.samples;
  state.upSamples = r.upSamples;
  for (const key of CONNECTION_KEYS) {
    const pm: PeakMean | undefined = r.connections?.[key];
    state.peak[key] = pm?.peak ?? 0;
    state.sum[key] = (pm?.mean ?? 0) * r.upSamples;
  }
  state.maxConnections = r.maxConnections;
  state.saturationMax = r.saturationMax;
  state.saturationWarningMinutes = r.saturationWarningMinutes;
  state.cacheHits = r.cacheHits;
  state.cacheReads = r.cacheReads;
  state.serverVersion = r.serverVersion;
  for (const s of r.statements) {
    state.statements.set(s.queryId, {
      fingerprint: s.fingerprint,
      calls: s.calls,
      totalSeconds: s.totalSeconds,
      rows: s.rows,
    });
  }
  for (const t of r.tables) {
    state.tables.set(t.table, {
      seqScans: t.seqScans,
      seqRowsRead: t.seqRowsRead,
      indexScans: t.indexScans,
      dataBytes: t.dataBytes,
      indexBytes: t.indexBytes,
      liveRows: t.liveRows,
      deadRows: t.deadRows,
    });
  }
  if (r.extra) {
    const { slowQueries, ...gauges } = r.extra;
    state.extra = gauges;
    for (const c of slowQueries) state.slow.set(c.id, { ...c });
  }
  return state;
}

const OTHER = 'other';

export class HourlyRollupBuilder {
  private state: HourState | null = null;
  private lastConnectionsAt: number | null = null;
  private lastCacheAt: number | null = null;
  private lastStatementsAt: number | null = null;
  private lastTablesAt: number | null = null;
  private lastTableSignalsAt: number | null = null;
  /** the slow-log digest's cumulative figures last seen, per class (deltas are counted from them) */
  private lastSlow: Map<string, { count: number; totalSeconds: number; rowsExamined: number }> | null = null;
  private lastSlowAt: number | null = null;

  constructor(
    readonly target: string,
    private readonly options: RollupOptions,
    seed?: HourlyRollup,
  ) {
    if (seed) this.state = hourFromRollup(seed);
  }

  /** Counts one cycle; returns the hour that ended with it, if one did. */
  observe(snapshot: Snapshot, rates: Rates): HourlyRollup | null {
    const hour = hourOf(snapshot.at);
    let finished: HourlyRollup | null = null;
    if (this.state && this.state.hour !== hour) {
      if (this.state.hour < hour) finished = this.build(this.state);
      this.state = null;
    }
    this.state ??= emptyHour(hour);
    const h = this.state;
    h.samples += 1;
    if (snapshot.serverVersion) h.serverVersion = snapshot.serverVersion;
    const c = snapshot.signals.connections;
    if (snapshot.up && c && c.at !== this.lastConnectionsAt) {
      const previousAt = this.lastConnectionsAt;
      this.lastConnectionsAt = c.at;
      h.upSamples += 1;
      const values: Record<ConnectionKey, number> = { used: c.used, ...(c.byState as ConnectionStates) };
      for (const key of CONNECTION_KEYS) {
        h.peak[key] = Math.max(h.peak[key], values[key]);
        h.sum[key] += values[key];
      }
      h.maxConnections = c.max;
      const ratio = c.used / Math.max(1, c.max - c.reserved);
      h.saturationMax = Math.max(h.saturationMax ?? 0, ratio);
      if (ratio >= this.options.saturationWarningRatio) {
        // the time this sample stands for: since the previous one, at most two intervals
        const interval = this.options.intervalSeconds * 1000;
        const span = previousAt === null ? interval : Math.min(c.at - previousAt, 2 * interval);
        h.saturationWarningMinutes += Math.max(0, span) / 60_000;
      }
    }
    if (rates.cache && rates.cache.at !== this.lastCacheAt) {
      this.lastCacheAt = rates.cache.at;
      h.cacheHits += rates.cache.items.hits;
      h.cacheReads += rates.cache.items.reads;
    }
    if (rates.statements && rates.statements.at !== this.lastStatementsAt) {
      this.lastStatementsAt = rates.statements.at;
      for (const s of rates.statements.items) {
        const sum = h.statements.get(s.id) ?? {
          fingerprint: s.fingerprint,
          calls: 0,
          totalSeconds: 0,
          rows: 0,
        };
        sum.calls += s.calls;
        sum.totalSeconds += s.totalSeconds;
        sum.rows += s.rows;
        sum.fingerprint = s.fingerprint;
        h.statements.set(s.id, sum);
      }
    }
    const tableSum = (table: string): TableSum => {
      let sum = h.tables.get(table);
      if (!sum) {
        sum = {
          seqScans: 0,
          seqRowsRead: 0,
          indexScans: 0,
          dataBytes: null,
          indexBytes: null,
          liveRows: null,
          deadRows: null,
        };
        h.tables.set(table, sum);
      }
      return sum;
    };
    if (rates.tables && rates.tables.at !== this.lastTablesAt) {
      this.lastTablesAt = rates.tables.at;
      for (const t of rates.tables.items) {
        const sum = tableSum(t.table);
        sum.seqScans += t.seqScans;
        sum.seqRowsRead += t.seqRowsRead;
        sum.indexScans += t.indexScans;
      }
    }
    this.observeExtra(h, snapshot);
    const tables = snapshot.signals.tables;
    if (snapshot.up && tables && tables.at !== this.lastTableSignalsAt) {
      this.lastTableSignalsAt = tables.at;
      for (const t of tables.tables) {
        const sum = tableSum(t.table);
        sum.dataBytes = t.dataBytes;
        sum.indexBytes = t.indexBytes;
        sum.liveRows = t.liveRows;
        sum.deadRows = t.deadRows;
      }
    }
    return finished;
  }

  private observeExtra(h: HourState, snapshot: Snapshot): void {
    const { settings, cache, runway, slowlog, audit } = snapshot.signals;
    if (snapshot.up) {
      if (settings?.serverStartedAt != null) h.extra.serverStartedAt = settings.serverStartedAt;
      if (cache?.dataBytes != null) h.extra.databaseBytes = cache.dataBytes;
      if (runway) {
        h.extra.transactionIds = runway.transactionIds ? { ...runway.transactionIds } : null;
        h.extra.counters = runway.counters.map((c) => ({ name: c.name, value: c.value, max: c.max }));
      }
      if (audit) h.extra.audit = { ...audit, settings: { ...audit.settings } };
    }
    if (slowlog && slowlog.at !== this.lastSlowAt) {
      this.lastSlowAt = slowlog.at;
      const previous = this.lastSlow;
      const seen = new Map<string, { count: number; totalSeconds: number; rowsExamined: number }>();
      for (const c of slowlog.classes) {
        seen.set(c.id, { count: c.count, totalSeconds: c.totalSeconds, rowsExamined: c.rowsExamined });
        if (previous === null) continue; // the first look only sets where counting starts
        const before = previous.get(c.id);
        // a class the follower counts from zero again (it restarted) counts whole
        const reset = before !== undefined && c.count < before.count;
        const base = before && !reset ? before : { count: 0, totalSeconds: 0, rowsExamined: 0 };
        const count = c.count - base.count;
        if (count <= 0) continue;
        const sum = h.slow.get(c.id) ?? {
          id: c.id,
          fingerprint: c.fingerprint,
          count: 0,
          totalSeconds: 0,
          maxSeconds: 0,
          rowsExamined: 0,
        };
        sum.count += count;
        sum.totalSeconds += c.totalSeconds - base.totalSeconds;
        sum.rowsExamined += c.rowsExamined - base.rowsExamined;
        sum.maxSeconds = Math.max(sum.maxSeconds, c.maxSeconds);
        h.slow.set(c.id, sum);
      }
      this.lastSlow = seen;
    }
  }

  /** the hour being filled, as it stands */
  current(): HourlyRollup | null {
    return this.state ? this.build(this.state) : null;
  }

  private build(h: HourState): HourlyRollup {
    const n = h.upSamples;
    const connections =
      n > 0
        ? (Object.fromEntries(
            CONNECTION_KEYS.map((key) => [key, { peak: h.peak[key], mean: h.sum[key] / n }]),
          ) as HourlyRollup['connections'])
        : null;
    // top N statements by time; the rest (and what was 'other' before a restart) in one row
    const ranked = [...h.statements.entries()]
      .filter(([id]) => id !== OTHER)
      .sort((a, b) => b[1].totalSeconds - a[1].totalSeconds);
    const statements: StatementHour[] = [];
    const other: StatementSum = { fingerprint: null, calls: 0, totalSeconds: 0, rows: 0 };
    const carried = h.statements.get(OTHER);
    if (carried) {
      other.calls += carried.calls;
      other.totalSeconds += carried.totalSeconds;
      other.rows += carried.rows;
    }
    for (const [i, [id, s]] of ranked.entries()) {
      if (i < this.options.topStatements) {
        statements.push({
          queryId: id,
          fingerprint: s.fingerprint,
          calls: s.calls,
          totalSeconds: s.totalSeconds,
          meanSeconds: s.calls > 0 ? s.totalSeconds / s.calls : null,
          rows: s.rows,
        });
      } else {
        other.calls += s.calls;
        other.totalSeconds += s.totalSeconds;
        other.rows += s.rows;
      }
    }
    if (other.calls > 0 || other.totalSeconds > 0) {
      statements.push({
        queryId: OTHER,
        fingerprint: null,
        calls: other.calls,
        totalSeconds: other.totalSeconds,
        meanSeconds: other.calls > 0 ? other.totalSeconds / other.calls : null,
        rows: other.rows,
      });
    }
    // top N tables by rows read sequentially (the exporter's ranking), then by size
    const tables: TableHour[] = [...h.tables.entries()]
      .sort(
        (a, b) =>
          b[1].seqRowsRead - a[1].seqRowsRead ||
          (b[1].dataBytes ?? 0) + (b[1].indexBytes ?? 0) - ((a[1].dataBytes ?? 0) + (a[1].indexBytes ?? 0)),
      )
      .slice(0, this.options.topTables)
      .map(([table, t]) => ({ table, ...t }));
    const cacheTotal = h.cacheHits + h.cacheReads;
    return {
      target: this.target,
      hour: h.hour,
      samples: h.samples,
      upSamples: h.upSamples,
      connections,
      maxConnections: h.maxConnections,
      saturationMax: h.saturationMax,
      saturationWarningMinutes: h.saturationWarningMinutes,
      cacheHits: h.cacheHits,
      cacheReads: h.cacheReads,
      cacheHitRatio: cacheTotal > 0 ? h.cacheHits / cacheTotal : null,
      serverVersion: h.serverVersion,
      statements,
      tables,
      extra: {
        ...h.extra,
        slowQueries: [...h.slow.values()]
          .sort((a, b) => b.totalSeconds - a.totalSeconds || a.id.localeCompare(b.id))
          .slice(0, TOP_SLOW_CLASSES),
      },
    };
  }
}

/** Settings as the target reports them, compared with what the store last kept: the changes. */
export class SettingsWatcher {
  private lastAt: number | null = null;

  constructor(
    readonly target: string,
    private known: Record<string, string>,
  ) {}

  observe(snapshot: Snapshot): SettingChange[] {
    const settings = snapshot.signals.settings;
    if (!snapshot.up || !settings || settings.at === this.lastAt) return [];
    this.lastAt = settings.at;
    const changes: SettingChange[] = [];
    for (const [name, value] of Object.entries(settings.values)) {
      const previous = this.known[name];
      if (previous !== value) {
        changes.push({ target: this.target, name, value, previous: previous ?? null, at: settings.at });
      }
    }
    for (const name of Object.keys(this.known)) {
      if (!(name in settings.values)) {
        changes.push({
          target: this.target,
          name,
          value: null,
          previous: this.known[name] ?? null,
          at: settings.at,
        });
      }
    }
    this.known = { ...settings.values };
    return changes;
  }
}
