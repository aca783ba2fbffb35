import { describe, expect, it } from 'vitest';
import { createMetrics, type TargetView } from '../../../agent/exporter/metrics.js';
import { TargetCounters } from '../../../agent/exporter/target-counters.js';
import type { Rates } from '../../../agent/snapshot/rates.js';
import type { Snapshot } from '../../../agent/snapshot/snapshot.js';

const CONTRACT = [
  'dbdiag_up',
  'dbdiag_connections',
  'dbdiag_connections_max',
  'dbdiag_connections_reserved',
  'dbdiag_connection_saturation_ratio',
  'dbdiag_pool_clients_waiting',
  'dbdiag_cache_hit_ratio',
  'dbdiag_query_calls_total',
  'dbdiag_query_seconds_total',
  'dbdiag_query_info',
  'dbdiag_table_seq_scans_total',
  'dbdiag_table_seq_rows_read_total',
  'dbdiag_table_index_scans_total',
  'dbdiag_sample_duration_seconds',
  'dbdiag_probe_errors_total',
  'dbdiag_findings',
  'dbdiag_finding',
  'dbdiag_slowlog_readable',
  'dbdiag_slowlog_errors_total',
  'dbdiag_replication_role',
  'dbdiag_replication_lag_seconds',
  'dbdiag_replication_lag_bytes',
  'dbdiag_replication_slot_retained_bytes',
];

function snapshot(up: boolean): Snapshot {
  return {
    target: 'plant',
    engine: 'postgres',
    at: 1_700_000_000_000,
    up,
    downReason: up ? null : 'too many connections',
    serverVersion: '15.20',
    signals: {
      connections: {
        at: 1_700_000_000_000,
        used: 97,
        max: 100,
        maxSetting: 100,
        reserved: 3,
        byState: { active: 90, idle: 5, idleInTransaction: 2, waitingLock: 0, other: 0 },
        oldestTransactionSeconds: 12,
        oldestIdleInTransactionSeconds: 3,
        peakUsed: null,
        refusedTotal: null,
        abortedConnectsTotal: null,
        perConnectionMemoryBytes: null,
      },
    },
    probes: {
      connections: {
        probe: 'connections',
        status: 'ok',
        lastRunAt: 1_700_000_000_000,
        durationSeconds: 0.002,
        code: null,
        message: null,
      },
    },
  };
}

function statementRates(n: number): Rates {
  return {
    cache: null,
    tables: null,
    statements: {
      at: 2,
      seconds: 15,
      resetSeen: false,
      items: Array.from({ length: n }, (_, i) => ({
        id: String(i),
        fingerprint: `SELECT * FROM t${i} WHERE id = $1`,
        database: 'app',
        calls: n - i,
        totalSeconds: n - i,
        meanSeconds: 1,
        rows: 1,
        rowsExamined: null,
        noIndexUsedCalls: null,
        blocksHit: null,
        blocksRead: null,
      })),
    },
  };
}

function view(up: boolean, rates: Rates, limit = 50): TargetView {
  const counters = new TargetCounters({ statements: limit, tables: limit, slowQueryClasses: limit });
  counters.update(rates);
  return {
    name: 'plant',
    engine: 'postgres',
    latest: snapshot(up),
    lastUpAt: 1_700_000_000_000,
    rates,
    findings: [],
    probeErrors: new Map([['statements', 2]]),
    slowLog: null,
    counters,
  };
}

describe('createMetrics', () => {
  it('registers every metric name of the contract', async () => {
    const { registry } = createMetrics({ targets: () => [] });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    for (const name of CONTRACT) expect(names).toContain(name);
  });

  it('exports saturation as used / (max - reserved)', async () => {
    const text = await createMetrics({ targets: () => [view(true, statementRates(1))] }).render();
    expect(text).toContain('dbdiag_connection_saturation_ratio{target="plant"} 1');
    expect(text).toContain('dbdiag_connections{target="plant",state="idle_in_transaction"} 2');
    expect(text).toContain('dbdiag_probe_errors_total{target="plant",probe="statements"} 2');
  });

  it('exports one lag series per replica on a primary, its own lag on a replica, and slots', async () => {
    const primary = view(true, statementRates(1));
    primary.latest!.signals.replication = {
      at: 1,
      role: 'primary',
      replicas: [{ name: 'r1', state: 'streaming', lagBytes: 4096, lagSeconds: 2.5 }],
      slots: [
        { name: 'old_slot', active: false, retainedBytes: 1_000_000, safeBytes: null, walStatus: 'extended' },
      ],
      self: null,
    };
    const replica: TargetView = {
      ...view(true, statementRates(1)),
      name: 'plant-replica',
      replicaOf: 'plant',
    };
    replica.latest = {
      ...replica.latest!,
      signals: {
        replication: {
          at: 1,
          role: 'replica',
          replicas: [],
          slots: [],
          self: { lagBytes: 0, lagSeconds: 0, paused: true, receiving: true, lastError: null, conflicts: 0 },
        },
      },
    };
    const text = await createMetrics({ targets: () => [primary, replica] }).render();
    expect(text).toContain('dbdiag_replication_role{target="plant",role="primary"} 1');
    expect(text).toContain('dbdiag_replication_role{target="plant-replica",role="replica"} 1');
    expect(text).toContain('dbdiag_replication_lag_seconds{target="plant",replica="r1"} 2.5');
    expect(text).toContain('dbdiag_replication_lag_bytes{target="plant",replica="r1"} 4096');
    expect(text).toContain(
      'dbdiag_replication_lag_seconds{target="plant-replica",replica="plant-replica"} 0',
    );
    expect(text).toContain('dbdiag_replication_replay_paused{target="plant-replica"} 1');
    expect(text).toContain('dbdiag_replication_receiving{target="plant-replica"} 1');
    expect(text).toContain('dbdiag_replication_apply_error{target="plant-replica"} 0');
    expect(text).not.toContain('dbdiag_replication_receiving{target="plant"}');
    // the primary sees its replica itself (r1): a linked replica target adds nothing to it
    expect(text).not.toContain('dbdiag_replication_lag_seconds{target="plant",replica="plant-replica"}');
    expect(text).toContain('dbdiag_replication_slot_retained_bytes{target="plant",slot="old_slot"} 1000000');
    expect(text).toContain('dbdiag_replication_slot_active{target="plant",slot="old_slot"} 0');
  });

  it('links a replica target to a primary that does not see its replicas (MariaDB): its lag on the primary, labelled with its name', async () => {
    const primary = view(true, statementRates(1));
    primary.latest!.signals.replication = { at: 1, role: 'primary', replicas: [], slots: [], self: null };
    const replica: TargetView = {
      ...view(true, statementRates(1)),
      name: 'maria-replica',
      replicaOf: 'plant',
    };
    const self = {
      lagBytes: 2048,
      lagSeconds: 7,
      paused: true,
      receiving: true,
      lastError: null,
      conflicts: null,
    };
    replica.latest = {
      ...replica.latest!,
      signals: { replication: { at: 1, role: 'replica', replicas: [], slots: [], self } },
    };
    const unlinked: TargetView = { ...replica, name: 'other-replica', replicaOf: null };
    const text = await createMetrics({ targets: () => [primary, replica, unlinked] }).render();
    expect(text).toContain('dbdiag_replication_lag_seconds{target="plant",replica="maria-replica"} 7');
    expect(text).toContain('dbdiag_replication_lag_bytes{target="plant",replica="maria-replica"} 2048');
    expect(text).toContain(
      'dbdiag_replication_lag_seconds{target="maria-replica",replica="maria-replica"} 7',
    );
    expect(text).not.toContain('dbdiag_replication_lag_seconds{target="plant",replica="other-replica"}');
  });

  it('bounds per-query series by top N, the rest summed under "other"', async () => {
    const text = await createMetrics({ targets: () => [view(true, statementRates(500), 20)] }).render();
    const series = text.split('\n').filter((l) => l.startsWith('dbdiag_query_calls_total{'));
    expect(series).toHaveLength(21);
    expect(text).toContain('dbdiag_query_calls_total{target="plant",query_id="other"}');
  });

  it('shows a down target as dbdiag_up 0 without stale connection values', async () => {
    const text = await createMetrics({ targets: () => [view(false, statementRates(1))] }).render();
    expect(text).toContain('dbdiag_up{target="plant",engine="postgres"} 0');
    expect(text).not.toContain('dbdiag_connection_saturation_ratio{');
  });
});

describe('slow-log series', () => {
  function slowlog(at: number, count: number) {
    return {
      at,
      path: '/var/log/mysql/slow.log',
      linesSkipped: 0,
      classes: [
        {
          id: 'abc123',
          fingerprint: 'select * from work_order_history_details where work_order_id = ?',
          count,
          totalSeconds: count * 2,
          maxSeconds: 2,
          lockSeconds: 0,
          rowsSent: count,
          rowsExamined: count * 1000,
          databases: ['mes'],
          sample: null,
          firstSeenAt: null,
          lastSeenAt: null,
        },
      ],
    };
  }

  it('counts the slow statements of each class since the follower started, and their time', async () => {
    const v = view(true, statementRates(0));
    v.counters.update(v.rates, slowlog(1, 3));
    v.counters.update(v.rates, slowlog(2, 10));
    v.counters.update(v.rates, slowlog(2, 10)); // the same sample again adds nothing
    const metrics = createMetrics({ targets: () => [v] });
    metrics.observeSlowQuery('plant', 2);
    const text = await metrics.render();
    expect(text).toContain('dbdiag_slow_queries_total{target="plant",query_id="abc123"} 10');
    expect(text).toContain('dbdiag_slow_query_seconds_total{target="plant",query_id="abc123"} 20');
    expect(text).toContain('dbdiag_slow_query_seconds_count{target="plant"} 1');
  });

  it('says whether the followed log is read, and counts failed attempts by reason', async () => {
    const v: TargetView = {
      ...view(true, statementRates(0)),
      slowLog: {
        path: '/var/log/mysql/slow.log',
        readable: false,
        problem: { reason: 'unreadable', code: 'EACCES', message: 'not readable', since: 1 },
        stateProblem: null,
        errors: { missing: 0, unreadable: 3, 'not-a-file': 1, 'read-failed': 0, 'state-write-failed': 0 },
        offset: 10,
        lastReadAt: null,
        nextRetryAt: 2,
      },
    };
    const quiet = view(true, statementRates(0));
    const text = await createMetrics({ targets: () => [v, { ...quiet, name: 'no-log' }] }).render();
    expect(text).toContain('dbdiag_slowlog_readable{target="plant"} 0');
    expect(text).toContain('dbdiag_slowlog_errors_total{target="plant",reason="unreadable"} 3');
    expect(text).toContain('dbdiag_slowlog_errors_total{target="plant",reason="not-a-file"} 1');
    // a target without a slow log has no slow-log series (no false "unreadable")
    expect(text).not.toContain('dbdiag_slowlog_readable{target="no-log"}');
  });
});
