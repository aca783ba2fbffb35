import { describe, expect, it } from 'vitest';
import { duplicateIndex } from '../../../agent/advisors/duplicate-index.js';
import { extensionMissing } from '../../../agent/advisors/extension-missing.js';
import { fkWithoutIndex } from '../../../agent/advisors/fk-without-index.js';
import { idleInTransaction } from '../../../agent/advisors/idle-in-transaction.js';
import { longRunningTransaction } from '../../../agent/advisors/long-running-transaction.js';
import { lowCacheHit } from '../../../agent/advisors/low-cache-hit.js';
import { slowQuery } from '../../../agent/advisors/slow-query.js';
import { staleStatistics } from '../../../agent/advisors/stale-statistics.js';
import { tableBloat } from '../../../agent/advisors/table-bloat.js';
import { unusedIndex } from '../../../agent/advisors/unused-index.js';
import { expectedSecondsFor } from '../../../agent/findings/actions.js';
import type { Finding } from '../../../agent/findings/finding.js';
import type { IndexStat, TableStat } from '../../../agent/snapshot/signals.js';
import { connections, input, snapshot, T0, tables } from './fixtures.js';

function table(name: string, over: Partial<TableStat> = {}): TableStat {
  return {
    table: name,
    seqScans: 0,
    seqRowsRead: 0,
    indexScans: 0,
    indexRowsFetched: null,
    liveRows: 100_000,
    deadRows: 0,
    rowsModifiedSinceAnalyze: 0,
    lastVacuumAt: null,
    lastAnalyzeAt: T0,
    dataBytes: null,
    indexBytes: null,
    freeBytes: null,
    heapBlocksHit: null,
    heapBlocksRead: null,
    indexBlocksHit: null,
    indexBlocksRead: null,
    ...over,
  };
}

function index(name: string, columns: string[], over: Partial<IndexStat> = {}): IndexStat {
  return {
    table: 'public.orders',
    index: name,
    columns,
    unique: false,
    primary: false,
    where: null,
    scans: 0,
    sizeBytes: 50_000_000,
    definition: null,
    ...over,
  };
}

describe('low-cache-hit', () => {
  const cacheAt = (i: number, hitsPer: number, readsPer: number) => ({
    at: T0 + i * 15_000,
    hits: i * hitsPer,
    reads: i * readsPer,
    sizeBytes: 128 * 1024 * 1024,
    dataBytes: 2 * 1024 ** 3,
  });
  it('fires after three low intervals and proposes a bigger cache bounded by the data', () => {
    const history = [0, 1, 2, 3].map((i) => snapshot(T0 + i * 15_000, { cache: cacheAt(i, 90_000, 10_000) }));
    const [f] = lowCacheHit(input(history));
    expect(f?.kind).toBe('low-cache-hit');
    expect(f?.evidence.intervalRatios).toEqual([0.9, 0.9, 0.9]);
    expect(Number(f?.fix?.details?.proposedBytes)).toBeGreaterThan(128 * 1024 * 1024);
  });
  it('does not fire on a healthy cache', () => {
    const history = [0, 1, 2, 3].map((i) => snapshot(T0 + i * 15_000, { cache: cacheAt(i, 999_900, 100) }));
    expect(lowCacheHit(input(history))).toEqual([]);
  });
  it('does not judge near-idle intervals (a handful of reads is noise)', () => {
    const history = [0, 1, 2, 3].map((i) => snapshot(T0 + i * 15_000, { cache: cacheAt(i, 50, 50) }));
    expect(lowCacheHit(input(history))).toEqual([]);
  });
});

describe('transactions', () => {
  it('flags a session idle in transaction past the threshold, not before', () => {
    const at = (s: number) => [
      snapshot(T0, { connections: connections(T0, 5, { oldestIdleInTransactionSeconds: s }) }),
    ];
    expect(idleInTransaction(input(at(30)))).toEqual([]);
    expect(idleInTransaction(input(at(120)))[0]?.severity).toBe('warning');
    expect(idleInTransaction(input(at(2000)))[0]?.severity).toBe('critical');
  });
  it('flags a long-running transaction past the threshold', () => {
    const at = (s: number) => [
      snapshot(T0, { connections: connections(T0, 5, { oldestTransactionSeconds: s }) }),
    ];
    expect(longRunningTransaction(input(at(100)))).toEqual([]);
    expect(longRunningTransaction(input(at(400)))[0]?.kind).toBe('long-running-transaction');
  });
});

describe('extension-missing', () => {
  it('turns an unsupported statements probe into a finding with the change to make', () => {
    const s = snapshot(T0, {});
    s.probes.statements = {
      probe: 'statements',
      status: 'unsupported',
      lastRunAt: T0,
      durationSeconds: 0,
      code: 'unsupported',
      message:
        'pg_stat_statements is installed but not loaded: add it to shared_preload_libraries and restart the server',
    };
    const [f] = extensionMissing(input([s]));
    expect(f?.object).toBe('pg_stat_statements');
    expect(f?.fix?.statements.join(' ')).toMatch(/shared_preload_libraries/);
  });
  it('says nothing when statements are sampled', () => {
    const s = snapshot(T0, {});
    s.probes.statements = {
      probe: 'statements',
      status: 'ok',
      lastRunAt: T0,
      durationSeconds: 0,
      code: null,
      message: null,
    };
    expect(extensionMissing(input([s]))).toEqual([]);
  });
});

describe('index hygiene', () => {
  const old = T0 - 30 * 86400_000;
  it('flags a never-scanned index after weeks of statistics', () => {
    const s = snapshot(T0, {
      tables: tables(T0, { resetAt: old, indexes: [index('orders_note_idx', ['note'])] }),
    });
    expect(unusedIndex(input([s]))[0]?.fix?.statements[0]).toMatch(
      /DROP INDEX CONCURRENTLY public.orders_note_idx/,
    );
  });
  it('never calls an index unused on days of data', () => {
    const s = snapshot(T0, {
      tables: tables(T0, { resetAt: T0 - 2 * 86400_000, indexes: [index('orders_note_idx', ['note'])] }),
    });
    expect(unusedIndex(input([s]))).toEqual([]);
  });
  it('does not flag an index that backs a unique constraint or the primary key', () => {
    const s = snapshot(T0, {
      tables: tables(T0, {
        resetAt: old,
        indexes: [
          index('orders_pkey', ['id'], { primary: true, unique: true }),
          index('orders_email_key', ['email'], { unique: true }),
        ],
      }),
    });
    expect(unusedIndex(input([s]))).toEqual([]);
  });
  it('flags an index that is a leading prefix of another, but never a unique one', () => {
    const s = snapshot(T0, {
      tables: tables(T0, {
        indexes: [
          index('a_idx', ['customer_id']),
          index('ab_idx', ['customer_id', 'created_at']),
          index('u_key', ['customer_id', 'created_at', 'x'], { unique: true }),
        ],
      }),
    });
    const found = duplicateIndex(input([s]));
    expect(found.map((f) => f.evidence.index)).toEqual(['a_idx', 'ab_idx']);
  });
});

describe('fk-without-index', () => {
  const fk = {
    table: 'public.lines',
    name: 'lines_order_fk',
    columns: ['order_id'],
    referencedTable: 'public.orders',
    referencedColumns: ['id'],
  };
  it('flags a large referencing table with no index on the key', () => {
    const s = snapshot(T0, { tables: tables(T0, { tables: [table('public.lines')], foreignKeys: [fk] }) });
    const [f] = fkWithoutIndex(input([s]));
    expect(f?.fix?.index).toEqual({ schema: 'public', table: 'lines', columns: ['order_id'] });
  });
  it('does not flag it when an index leads with the key, or the table is small', () => {
    const covered = snapshot(T0, {
      tables: tables(T0, {
        tables: [table('public.lines')],
        foreignKeys: [fk],
        indexes: [index('l_idx', ['order_id', 'n'], { table: 'public.lines' })],
      }),
    });
    expect(fkWithoutIndex(input([covered]))).toEqual([]);
    const small = snapshot(T0, {
      tables: tables(T0, { tables: [table('public.lines', { liveRows: 300 })], foreignKeys: [fk] }),
    });
    expect(fkWithoutIndex(input([small]))).toEqual([]);
  });
});

describe('maintenance', () => {
  it('flags statistics gone stale, not a freshly analyzed table', () => {
    const s = snapshot(T0, {
      tables: tables(T0, {
        tables: [
          table('public.a', { rowsModifiedSinceAnalyze: 60_000 }),
          table('public.b', { rowsModifiedSinceAnalyze: 100 }),
        ],
      }),
    });
    expect(staleStatistics(input([s])).map((f) => f.object)).toEqual(['public.a']);
  });
  it('flags dead rows on PostgreSQL and free space on MySQL', () => {
    const pg = snapshot(T0, {
      tables: tables(T0, { tables: [table('public.a', { liveRows: 50_000, deadRows: 150_000 })] }),
    });
    expect(tableBloat(input([pg]))[0]?.fix?.statements[0]).toMatch(/VACUUM \(ANALYZE/);
    const my = snapshot(
      T0,
      {
        tables: tables(T0, {
          tables: [table('shop.a', { dataBytes: 20e6, indexBytes: 0, freeBytes: 100e6 })],
        }),
      },
      'mysql',
    );
    expect(tableBloat(input([my], { engine: 'mysql' }))[0]?.fix?.statements[0]).toMatch(/ENGINE=InnoDB/);
  });
  it('gives maintenance its expected time from the table size where the engine reports it, null where not', () => {
    const sized = snapshot(T0, {
      tables: tables(T0, {
        tables: [
          table('public.a', { liveRows: 50_000, deadRows: 150_000, dataBytes: 400e6, indexBytes: 100e6 }),
          table('public.b', { rowsModifiedSinceAnalyze: 60_000, dataBytes: 400e6 }),
          table('public.c', { liveRows: 50_000, deadRows: 150_000 }),
        ],
      }),
    });
    const [vacuumA, vacuumC] = tableBloat(input([sized])).map((f) => f.fix?.actions[0]);
    expect(vacuumA?.expectedSeconds).toBe(expectedSecondsFor('vacuum', 500e6));
    expect(vacuumA?.expectedSeconds).toBeGreaterThan(1);
    expect(vacuumC?.expectedSeconds).toBeNull();
    const [analyze] = staleStatistics(input([sized])).map((f) => f.fix?.actions[0]);
    expect(analyze?.expectedSeconds).toBe(expectedSecondsFor('analyze', 400e6));
  });
});

describe('slow-query', () => {
  const stmt = (id: string, text: string, calls: number, totalSeconds: number) => ({
    id,
    fingerprint: text,
    database: 'app',
    user: 'app',
    calls,
    totalSeconds,
    rows: calls,
    rowsExamined: null,
    noIndexUsedCalls: null,
    blocksHit: null,
    blocksRead: null,
    sample: null,
  });
  it('flags a statement slow per call, links its missing-index finding, and ignores one-off maintenance', () => {
    const s = snapshot(T0, {
      statements: {
        at: T0,
        source: 'pg_stat_statements',
        resetAt: null,
        statements: [
          stmt('q1', 'SELECT * FROM t WHERE a = $1', 20, 60),
          stmt('q2', 'ANALYZE', 1, 5),
          stmt('q3', 'SELECT 1', 1000, 0.1),
        ],
      },
    });
    const related = { id: 'missing-index:db:x', evidence: { statementIds: ['q1'] } } as unknown as Finding;
    const found = slowQuery(input([s]), [related]);
    expect(found.map((f) => f.evidence.statementId)).toEqual(['q1']);
    expect(found[0]?.related).toEqual(['missing-index:db:x']);
  });

  it('judges a followed slow log on what it logged in the last slowLogRecentSeconds: quiet since, no finding', () => {
    const slowClass = (count: number, totalSeconds: number) => ({
      id: 'c1',
      fingerprint: 'SELECT * FROM readings WHERE sensor = ?',
      count,
      totalSeconds,
      maxSeconds: 2,
      lockSeconds: 0,
      rowsSent: count,
      rowsExamined: count * 1000,
      databases: ['app'],
      sample: null,
      firstSeenAt: null,
      lastSeenAt: null,
    });
    const at = (ms: number, count: number, totalSeconds: number) =>
      snapshot(T0 + ms, {
        slowlog: {
          at: T0 + ms,
          path: '/var/log/slow.log',
          classes: [slowClass(count, totalSeconds)],
          linesSkipped: 0,
        },
      });
    const t = { slowLogRecentSeconds: 60, slowQueryMeanSeconds: 1 };
    // 40 slow statements (1.5 s each) in the last minute: a finding on those 40
    const storming = slowQuery(input([at(0, 10, 15), at(60_000, 50, 75)], { thresholds: t }), []);
    expect(storming.map((f) => f.object)).toEqual(['slowlog:c1']);
    expect(storming[0]?.summary).toMatch(/^1500 ms per call x 40 calls/);
    // nothing logged since a minute ago: the digest still holds the 50, the finding is gone
    expect(
      slowQuery(input([at(0, 10, 15), at(60_000, 50, 75), at(120_000, 50, 75)], { thresholds: t }), []),
    ).toEqual([]);
    // the history does not reach back a minute (the agent started following since): all of it is recent
    expect(slowQuery(input([at(0, 50, 75)], { thresholds: t }), []).map((f) => f.object)).toEqual([
      'slowlog:c1',
    ]);
  });
});
