import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Finding } from '../findings/finding.js';
import { SLOWLOG_FAULTS, type SlowLogStatus } from '../slowlog/follow.js';
import type { Rates } from '../snapshot/rates.js';
import type { ConnectionStates, EngineName, PoolStat, SlotStat } from '../snapshot/signals.js';
import type { ProbeName, Snapshot } from '../snapshot/snapshot.js';
import type { StoreStatus } from '../state/writer.js';
import type { TargetCounters } from './target-counters.js';

// Every metric dbdiag exports is defined here, and only here. A scrape reads the targets'
// latest snapshots, rates and findings (never a database). Names are a contract with the
// dashboards, alert rules and reports: see README "Metrics".

export interface TargetView {
  name: string;
  engine: EngineName;
  latest: Snapshot | undefined;
  /** when the target last answered (epoch ms), kept while it is down */
  lastUpAt: number | null;
  rates: Rates;
  findings: readonly Finding[];
  probeErrors: ReadonlyMap<ProbeName, number>;
  /** advisor failures since start, by advisor (absent: no advisors run on this target) */
  advisorErrors?: ReadonlyMap<string, number>;
  /** seconds spent verifying index candidates since start (EXPLAIN, what-if, sandbox proofs) */
  verificationSeconds?: number;
  /** the slow-log follower's state; null when the target names no slow log */
  slowLog: SlowLogStatus | null;
  counters: TargetCounters;
  /** the target this one replicates from, when configured (config replicaOf): its series link the two */
  replicaOf?: string | null;
}

export interface MetricsSource {
  targets(): readonly TargetView[];
  /** the state store's health; null or absent when the agent keeps no store */
  store?(): StoreStatus | null;
}

const STATE_LABELS: Record<keyof ConnectionStates, string> = {
  active: 'active',
  idle: 'idle',
  idleInTransaction: 'idle_in_transaction',
  waitingLock: 'waiting_lock',
  other: 'other',
};

/** Longest fingerprint put in a label: enough to recognise the statement, bounded in size. */
const FINGERPRINT_LABEL_MAX = 160;

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

type Setter = (source: MetricsSource) => void;

/** Upper bounds of the slow-query time histogram, in seconds: from a fast OLTP statement to a report. */
export const SLOW_QUERY_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface Metrics {
  registry: Registry;
  /** Counts one statement the slow-log follower saw (an event, not a sample: observed as it happens). */
  observeSlowQuery(target: string, seconds: number): void;
  /** Fills every metric from the source (memory only) and renders the exposition text. */
  render(): Promise<string>;
}

/** Creates a private registry with every dbdiag metric, filled from `source` at each scrape. */
export function createMetrics(source: MetricsSource): Metrics {
  const registry = new Registry();
  const setters: Setter[] = [];

  // A gauge refilled at each scrape: reset so that series of vanished objects disappear.
  function gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (g: Gauge<L>, s: MetricsSource) => void,
  ): void {
    const metric = new Gauge<L>({ name, help, labelNames, registers: [registry] });
    setters.push((s) => {
      metric.reset();
      fill(metric, s);
    });
  }

  // Counters hold values the agent accumulated itself (see accumulator.ts); reset + inc re-states them.
  function counter<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (c: Counter<L>, s: MetricsSource) => void,
  ): void {
    const metric = new Counter<L>({ name, help, labelNames, registers: [registry] });
    setters.push((s) => {
      metric.reset();
      fill(metric, s);
    });
  }

  /** targets that answered the last cycle: stale values of a down target are not exported */
  const upTargets = (s: MetricsSource) =>
    s.targets().filter((t): t is TargetView & { latest: Snapshot } => t.latest?.up === true);

  gauge(
    'dbdiag_up',
    '1 when the last sampling cycle reached the target, 0 when it could not (see /api/targets for the reason).',
    ['target', 'engine'],
    (g, s) => {
      for (const t of s.targets()) g.set({ target: t.name, engine: t.engine }, t.latest?.up ? 1 : 0);
    },
  );
  gauge(
    'dbdiag_last_sample_timestamp_seconds',
    'When the target was last sampled successfully (Unix time).',
    ['target'],
    (g, s) => {
      for (const t of s.targets()) if (t.lastUpAt !== null) g.set({ target: t.name }, t.lastUpAt / 1000);
    },
  );
  gauge(
    'dbdiag_probe_supported',
    '1 when a probe works on this target, 0 when the server lacks what it needs (extension, performance_schema, pooler).',
    ['target', 'probe'],
    (g, s) => {
      for (const t of s.targets()) {
        for (const report of Object.values(t.latest?.probes ?? {})) {
          if (report.status !== 'error')
            g.set({ target: t.name, probe: report.probe }, report.status === 'unsupported' ? 0 : 1);
        }
      }
    },
  );
  gauge(
    'dbdiag_sample_duration_seconds',
    'How long the probe took the last time it ran.',
    ['target', 'probe'],
    (g, s) => {
      for (const t of s.targets()) {
        for (const report of Object.values(t.latest?.probes ?? {})) {
          if (report.lastRunAt !== null)
            g.set({ target: t.name, probe: report.probe }, report.durationSeconds);
        }
      }
    },
  );
  counter(
    'dbdiag_probe_errors_total',
    'Probe runs that failed (timeout, permission, lost connection).',
    ['target', 'probe'],
    (c, s) => {
      for (const t of s.targets())
        for (const [probe, n] of t.probeErrors) c.inc({ target: t.name, probe }, n);
    },
  );
  counter(
    'dbdiag_advisor_errors_total',
    'Advisor runs that threw (that advisor\'s last findings stand, the others are kept), and index verification rounds that failed (advisor="index-evidence").',
    ['target', 'advisor'],
    (c, s) => {
      for (const t of s.targets())
        for (const [advisor, n] of t.advisorErrors ?? []) c.inc({ target: t.name, advisor }, n);
    },
  );
  counter(
    'dbdiag_verification_seconds_total',
    "Time the agent's own connection spent verifying index candidates (EXPLAIN, what-if, sandbox proofs), between sampling cycles.",
    ['target'],
    (c, s) => {
      for (const t of s.targets())
        if (t.verificationSeconds !== undefined) c.inc({ target: t.name }, t.verificationSeconds);
    },
  );
  counter(
    'dbdiag_store_errors_total',
    'State store operations that failed (open, write, read, prune); sampling and /metrics go on regardless.',
    ['operation'],
    (c, s) => {
      const store = s.store?.();
      if (!store) return;
      for (const operation of ['open', 'write', 'read', 'prune'])
        c.inc({ operation }, store.errors.get(operation) ?? 0);
    },
  );
  gauge(
    'dbdiag_store_up',
    '1 when the last write to the state store succeeded, 0 while it fails (/healthz says degraded).',
    [],
    (g, s) => {
      const store = s.store?.();
      if (store) g.set(store.ok ? 1 : 0);
    },
  );

  // Connections
  gauge(
    'dbdiag_connections',
    "Client connections by state, the agent's own included.",
    ['target', 'state'],
    (g, s) => {
      for (const t of upTargets(s)) {
        const c = t.latest.signals.connections;
        if (!c) continue;
        for (const [key, label] of Object.entries(STATE_LABELS)) {
          g.set({ target: t.name, state: label }, c.byState[key as keyof ConnectionStates]);
        }
      }
    },
  );
  /** A gauge with one series per target that answered, from its latest snapshot. */
  const targetGauge = (name: string, help: string, pick: (snapshot: Snapshot) => number | null | undefined) =>
    gauge(name, help, ['target'], (g, s) => {
      for (const t of upTargets(s)) {
        const value = pick(t.latest);
        if (value !== null && value !== undefined) g.set({ target: t.name }, value);
      }
    });
  const connections = (snapshot: Snapshot) => snapshot.signals.connections;
  targetGauge(
    'dbdiag_connections_used',
    "Client connections holding a slot (the agent's own included).",
    (x) => connections(x)?.used,
  );
  targetGauge('dbdiag_connections_max', 'max_connections of the server.', (x) => connections(x)?.max);
  targetGauge(
    'dbdiag_connections_reserved',
    'Slots ordinary clients can never take (superuser/admin reserved).',
    (x) => connections(x)?.reserved,
  );
  targetGauge(
    'dbdiag_connection_saturation_ratio',
    'used / (max - reserved): 1 means no slot is left for a new application connection.',
    (x) => {
      const c = connections(x);
      return c && c.max - c.reserved > 0 ? c.used / (c.max - c.reserved) : null;
    },
  );
  targetGauge(
    'dbdiag_connections_peak',
    'Highest concurrent connections since server start, where the server keeps it (MySQL Max_used_connections).',
    (x) => connections(x)?.peakUsed,
  );
  targetGauge(
    'dbdiag_oldest_transaction_seconds',
    "Age of the oldest open transaction (the agent's excluded); 0 when none.",
    (x) => (connections(x) ? (connections(x)?.oldestTransactionSeconds ?? 0) : null),
  );
  targetGauge(
    'dbdiag_oldest_idle_in_transaction_seconds',
    'Age of the oldest session idle inside a transaction; 0 when none.',
    (x) => (connections(x) ? (connections(x)?.oldestIdleInTransactionSeconds ?? 0) : null),
  );

  // Pooler (PgBouncer in front of the database)
  const poolGauge = (name: string, help: string, pick: (pool: PoolStat) => number) =>
    gauge(name, help, ['target', 'pool'], (g, s) => {
      for (const t of upTargets(s)) {
        for (const p of t.latest.signals.pooler?.pools ?? [])
          g.set({ target: t.name, pool: p.pool }, pick(p));
      }
    });
  poolGauge(
    'dbdiag_pool_clients_waiting',
    'Clients waiting for a server connection in the pooler.',
    (p) => p.clientsWaiting,
  );
  poolGauge(
    'dbdiag_pool_clients_active',
    'Clients linked to a server connection in the pooler.',
    (p) => p.clientsActive,
  );
  poolGauge(
    'dbdiag_pool_max_wait_seconds',
    'Longest time a client in the pooler has been waiting.',
    (p) => p.maxWaitSeconds,
  );
  gauge(
    'dbdiag_pool_servers',
    'Server connections the pooler holds, by state.',
    ['target', 'pool', 'state'],
    (g, s) => {
      for (const t of upTargets(s)) {
        for (const p of t.latest.signals.pooler?.pools ?? []) {
          g.set({ target: t.name, pool: p.pool, state: 'active' }, p.serversActive);
          g.set({ target: t.name, pool: p.pool, state: 'idle' }, p.serversIdle);
        }
      }
    },
  );

  // Cache
  gauge(
    'dbdiag_cache_hit_ratio',
    'Buffer cache hit ratio over the last interval (0..1): hits / (hits + disk reads).',
    ['target', 'cache'],
    (g, s) => {
      for (const t of upTargets(s)) {
        const ratio = t.rates.cache?.items.ratio;
        if (ratio !== null && ratio !== undefined) g.set({ target: t.name, cache: 'buffer' }, ratio);
      }
    },
  );
  gauge(
    'dbdiag_cache_hit_ratio_since_reset',
    "Buffer cache hit ratio since the server's counters last reset (context only: it hides a bad hour).",
    ['target', 'cache'],
    (g, s) => {
      for (const t of upTargets(s)) {
        const c = t.latest.signals.cache;
        if (c && c.hits + c.reads > 0)
          g.set({ target: t.name, cache: 'buffer' }, c.hits / (c.hits + c.reads));
      }
    },
  );
  targetGauge(
    'dbdiag_cache_size_bytes',
    'Size of the buffer cache (shared_buffers / innodb_buffer_pool_size).',
    (x) => x.signals.cache?.sizeBytes,
  );
  targetGauge(
    'dbdiag_data_size_bytes',
    'Data + index size the cache serves, when known.',
    (x) => x.signals.cache?.dataBytes,
  );
  counter(
    'dbdiag_cache_reads_total',
    'Buffer cache reads by outcome (hit, miss = read from disk), as seen by the agent.',
    ['target', 'result'],
    (c, s) => {
      for (const t of s.targets()) {
        const { hits, reads } = t.counters.cache;
        c.inc({ target: t.name, result: 'hit' }, hits);
        c.inc({ target: t.name, result: 'miss' }, reads);
      }
    },
  );
  gauge(
    'dbdiag_table_cache_hit_ratio',
    'Per-table cache hit ratio over the last tables interval (heap or index blocks), top tables by reads.',
    ['target', 'table', 'kind'],
    (g, s) => {
      for (const t of upTargets(s)) {
        const items = t.rates.tables?.items ?? [];
        const ranked = [...items]
          .map((r) => ({ r, reads: (r.heapBlocksRead ?? 0) + (r.indexBlocksRead ?? 0) }))
          .filter((x) => x.reads > 0)
          .sort((a, b) => b.reads - a.reads)
          .slice(0, t.counters.tableLimit);
        for (const { r } of ranked) {
          const heap = (r.heapBlocksHit ?? 0) + (r.heapBlocksRead ?? 0);
          const index = (r.indexBlocksHit ?? 0) + (r.indexBlocksRead ?? 0);
          if (heap > 0)
            g.set({ target: t.name, table: r.table, kind: 'heap' }, (r.heapBlocksHit ?? 0) / heap);
          if (index > 0)
            g.set({ target: t.name, table: r.table, kind: 'index' }, (r.indexBlocksHit ?? 0) / index);
        }
      }
    },
  );

  // Statements (top N by time, the rest under query_id="other")
  const queryCounter = (name: string, help: string, key: string) =>
    counter(name, help, ['target', 'query_id'], (c, s) => {
      for (const t of s.targets())
        for (const [id, v] of t.counters.queries.entries(key)) c.inc({ target: t.name, query_id: id }, v);
    });
  queryCounter(
    'dbdiag_query_calls_total',
    'Statement executions seen by the agent, per normalized statement (top N by time, rest under "other").',
    'calls',
  );
  queryCounter('dbdiag_query_seconds_total', 'Time spent executing the statement.', 'seconds');
  queryCounter('dbdiag_query_rows_total', 'Rows the statement returned or changed.', 'rows');
  queryCounter(
    'dbdiag_query_rows_examined_total',
    'Rows the server read for the statement (MySQL/MariaDB).',
    'rowsExamined',
  );
  queryCounter(
    'dbdiag_query_no_index_used_total',
    'Executions that used no index (MySQL/MariaDB).',
    'noIndexUsed',
  );
  gauge(
    'dbdiag_query_info',
    'The normalized text (fingerprint, truncated) of each query_id with its own series; value 1.',
    ['target', 'query_id', 'fingerprint'],
    (g, s) => {
      for (const t of s.targets()) {
        for (const [id, fingerprint] of t.counters.fingerprints) {
          g.set(
            { target: t.name, query_id: id, fingerprint: truncate(fingerprint, FINGERPRINT_LABEL_MAX) },
            1,
          );
        }
      }
    },
  );
  gauge(
    'dbdiag_query_mean_seconds',
    'Mean execution time of the statement over the last interval.',
    ['target', 'query_id'],
    (g, s) => {
      for (const t of upTargets(s)) {
        for (const r of t.rates.statements?.items ?? []) {
          if (r.meanSeconds !== null && t.counters.fingerprints.has(r.id))
            g.set({ target: t.name, query_id: r.id }, r.meanSeconds);
        }
      }
    },
  );

  // Tables (top N by rows read sequentially, rest under table="other")
  const tableCounter = (name: string, help: string, key: string) =>
    counter(name, help, ['target', 'table'], (c, s) => {
      for (const t of s.targets())
        for (const [table, v] of t.counters.tables.entries(key)) c.inc({ target: t.name, table }, v);
    });
  tableCounter('dbdiag_table_seq_scans_total', 'Sequential (full) scans of the table.', 'seqScans');
  tableCounter(
    'dbdiag_table_seq_rows_read_total',
    'Rows read by sequential (full) scans of the table.',
    'seqRowsRead',
  );
  tableCounter('dbdiag_table_index_scans_total', 'Index scans on the table.', 'indexScans');
  const tableGauge = (
    name: string,
    help: string,
    pick: (t: NonNullable<Snapshot['signals']['tables']>['tables'][number]) => number | null,
  ) =>
    gauge(name, help, ['target', 'table'], (g, s) => {
      for (const t of upTargets(s)) {
        const tables = t.latest.signals.tables?.tables ?? [];
        for (const table of tables.slice(0, t.counters.tableLimit)) {
          const value = pick(table);
          if (value !== null) g.set({ target: t.name, table: table.table }, value);
        }
      }
    });
  tableGauge('dbdiag_table_live_rows', 'Estimated live rows of the table.', (t) => t.liveRows);
  tableGauge('dbdiag_table_dead_rows', 'Dead rows waiting for VACUUM (PostgreSQL).', (t) => t.deadRows);
  tableGauge('dbdiag_table_size_bytes', 'Table data size.', (t) => t.dataBytes);
  tableGauge(
    'dbdiag_table_free_bytes',
    'Allocated but unused space in the table (MySQL DATA_FREE: fragmentation).',
    (t) => t.freeBytes,
  );

  // Replication: a primary carries one series per replica; a replica its own lag (replica = its target name)
  gauge(
    'dbdiag_replication_role',
    "The server's replication role: 1 for the role it has (primary or replica), 0 for the other.",
    ['target', 'role'],
    (g, s) => {
      for (const t of upTargets(s)) {
        const r = t.latest.signals.replication;
        if (!r) continue;
        g.set({ target: t.name, role: 'primary' }, r.role === 'primary' ? 1 : 0);
        g.set({ target: t.name, role: 'replica' }, r.role === 'replica' ? 1 : 0);
      }
    },
  );
  const replicaGauge = (name: string, help: string, key: 'lagSeconds' | 'lagBytes') =>
    gauge(name, help, ['target', 'replica'], (g, s) => {
      for (const t of upTargets(s)) {
        const r = t.latest.signals.replication;
        if (!r) continue;
        for (const replica of r.replicas) {
          const value = replica[key];
          if (value !== null) g.set({ target: t.name, replica: replica.name }, value);
        }
        const own = r.self?.[key];
        if (own !== null && own !== undefined) g.set({ target: t.name, replica: t.name }, own);
      }
      // Linked (config replicaOf): a replica target's own lag also on its primary's target, when the
      // primary does not see its replicas itself (MySQL/MariaDB; PostgreSQL's pg_stat_replication does)
      const up = new Map(upTargets(s).map((t) => [t.name, t]));
      for (const t of up.values()) {
        const own = t.latest.signals.replication?.self?.[key];
        const primary = t.replicaOf ? up.get(t.replicaOf) : undefined;
        if (own === null || own === undefined || !primary) continue;
        if ((primary.latest.signals.replication?.replicas.length ?? 0) === 0)
          g.set({ target: primary.name, replica: t.name }, own);
      }
    });
  replicaGauge(
    'dbdiag_replication_lag_seconds',
    'How far replay on the replica trails its primary; 0 when nothing received is waiting to be replayed.',
    'lagSeconds',
  );
  replicaGauge(
    'dbdiag_replication_lag_bytes',
    'WAL / events the replica has not replayed yet (on a primary: written and not replayed; on a replica: received and not replayed).',
    'lagBytes',
  );
  targetGauge(
    'dbdiag_replication_replay_paused',
    '1 while replay on this replica is paused by an administrator.',
    (x) => {
      const self = x.signals.replication?.self;
      return self ? (self.paused ? 1 : 0) : null;
    },
  );
  targetGauge(
    'dbdiag_replication_receiving',
    '1 while this replica receives from its primary (PostgreSQL: a WAL receiver streaming; MariaDB/MySQL: the IO thread running), 0 when it does not.',
    (x) => {
      const receiving = x.signals.replication?.self?.receiving;
      return receiving === null || receiving === undefined ? null : receiving ? 1 : 0;
    },
  );
  targetGauge(
    'dbdiag_replication_apply_error',
    '1 while this replica reports a replication error (MariaDB/MySQL Last_SQL_Error / Last_IO_Error), 0 otherwise.',
    (x) => {
      const self = x.signals.replication?.self;
      return self ? (self.lastError === null ? 0 : 1) : null;
    },
  );
  const slotGauge = (name: string, help: string, pick: (slot: SlotStat) => number | null) =>
    gauge(name, help, ['target', 'slot'], (g, s) => {
      for (const t of upTargets(s)) {
        for (const slot of t.latest.signals.replication?.slots ?? []) {
          const value = pick(slot);
          if (value !== null) g.set({ target: t.name, slot: slot.name }, value);
        }
      }
    });
  slotGauge(
    'dbdiag_replication_slot_retained_bytes',
    'WAL the primary keeps for the replication slot (cannot be recycled until its consumer reads it).',
    (slot) => slot.retainedBytes,
  );
  slotGauge('dbdiag_replication_slot_active', '1 while a consumer is connected to the slot.', (slot) =>
    slot.active ? 1 : 0,
  );

  // Slow-query log (targets that name one)
  gauge(
    'dbdiag_slowlog_readable',
    '1 while the followed slow log is open and read, 0 while it is missing, unreadable, not a file or failing (see /api/targets).',
    ['target'],
    (g, s) => {
      for (const t of s.targets())
        if (t.slowLog !== null) g.set({ target: t.name }, t.slowLog.readable ? 1 : 0);
    },
  );
  counter(
    'dbdiag_slowlog_errors_total',
    'Failed attempts to follow the slow log (each retry counts), by reason: missing, unreadable, not-a-file, read-failed, state-write-failed.',
    ['target', 'reason'],
    (c, s) => {
      for (const t of s.targets()) {
        if (t.slowLog === null) continue;
        for (const reason of SLOWLOG_FAULTS) c.inc({ target: t.name, reason }, t.slowLog.errors[reason]);
      }
    },
  );
  counter(
    'dbdiag_slow_queries_total',
    'Statements in the slow-query log per fingerprint class (top N by time, rest under "other").',
    ['target', 'query_id'],
    (c, s) => {
      for (const t of s.targets())
        for (const [id, v] of t.counters.slowQueries.entries('count'))
          c.inc({ target: t.name, query_id: id }, v);
    },
  );
  counter(
    'dbdiag_slow_query_seconds_total',
    'Time of the statements in the slow-query log per fingerprint class.',
    ['target', 'query_id'],
    (c, s) => {
      for (const t of s.targets())
        for (const [id, v] of t.counters.slowQueries.entries('seconds'))
          c.inc({ target: t.name, query_id: id }, v);
    },
  );
  gauge(
    'dbdiag_slow_query_info',
    'Fingerprint (truncated) of each slow-log class with its own series; value 1.',
    ['target', 'query_id', 'fingerprint'],
    (g, s) => {
      for (const t of s.targets()) {
        const own = new Set(t.counters.slowQueries.keys());
        for (const c of t.latest?.signals.slowlog?.classes ?? []) {
          if (own.has(c.id))
            g.set(
              { target: t.name, query_id: c.id, fingerprint: truncate(c.fingerprint, FINGERPRINT_LABEL_MAX) },
              1,
            );
        }
      }
    },
  );
  const slowQueryTime = new Histogram({
    name: 'dbdiag_slow_query_seconds',
    help: 'Query time of the statements in the slow-query log.',
    labelNames: ['target'],
    buckets: SLOW_QUERY_BUCKETS,
    registers: [registry],
  });

  // Findings
  gauge(
    'dbdiag_findings',
    'Active findings by kind and severity.',
    ['target', 'kind', 'severity'],
    (g, s) => {
      for (const t of s.targets()) {
        for (const f of t.findings) g.inc({ target: t.name, kind: f.kind, severity: f.severity }, 1);
      }
    },
  );
  gauge(
    'dbdiag_finding',
    'One series per active finding; value 1.',
    ['target', 'kind', 'severity', 'object'],
    (g, s) => {
      for (const t of s.targets()) {
        for (const f of t.findings)
          g.set(
            {
              target: t.name,
              kind: f.kind,
              severity: f.severity,
              object: truncate(f.object, FINGERPRINT_LABEL_MAX),
            },
            1,
          );
      }
    },
  );

  return {
    registry,
    observeSlowQuery(target, seconds) {
      slowQueryTime.observe({ target }, seconds);
    },
    async render() {
      for (const set of setters) set(source);
      return registry.metrics();
    },
  };
}
