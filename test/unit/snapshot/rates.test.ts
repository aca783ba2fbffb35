import { describe, expect, it } from 'vitest';
import { cacheRate, counterDelta, statementRates, tableRates } from '../../../agent/snapshot/rates.js';
import type {
  StatementSignals,
  StatementStat,
  TableSignals,
  TableStat,
} from '../../../agent/snapshot/signals.js';

function stmt(id: string, calls: number, totalSeconds: number, rows = calls): StatementStat {
  return {
    id,
    fingerprint: `select ${id}`,
    database: 'app',
    user: 'app',
    calls,
    totalSeconds,
    rows,
    rowsExamined: null,
    noIndexUsedCalls: null,
    blocksHit: 10 * calls,
    blocksRead: calls,
    sample: null,
  };
}

function statements(at: number, list: StatementStat[], resetAt: number | null = null): StatementSignals {
  return { at, source: 'pg_stat_statements', resetAt, statements: list };
}

function table(name: string, seqScans: number, seqRowsRead: number, indexScans = 0): TableStat {
  return {
    table: name,
    seqScans,
    seqRowsRead,
    indexScans,
    indexRowsFetched: null,
    liveRows: null,
    deadRows: null,
    rowsModifiedSinceAnalyze: null,
    lastVacuumAt: null,
    lastAnalyzeAt: null,
    dataBytes: null,
    indexBytes: null,
    freeBytes: null,
    heapBlocksHit: null,
    heapBlocksRead: null,
    indexBlocksHit: null,
    indexBlocksRead: null,
  };
}

function tables(at: number, list: TableStat[]): TableSignals {
  return { at, resetAt: null, tables: list, indexes: [], foreignKeys: [] };
}

describe('counterDelta', () => {
  it('subtracts when the counter grew', () => {
    expect(counterDelta(10, 25)).toEqual({ delta: 15, reset: false });
  });
  it('takes the current value after a reset instead of going negative', () => {
    expect(counterDelta(1000, 7)).toEqual({ delta: 7, reset: true });
  });
});

describe('cacheRate', () => {
  const at = 1_000_000;
  it('is the interval ratio, not the ratio since server start', () => {
    // 99.9% since start, but the last interval read 500 of 1000 blocks from disk.
    const before = { at, hits: 1_000_000, reads: 1_000, sizeBytes: null, dataBytes: null };
    const after = { at: at + 15_000, hits: 1_000_500, reads: 1_500, sizeBytes: null, dataBytes: null };
    const rate = cacheRate(before, after);
    expect(rate?.items.ratio).toBeCloseTo(0.5);
    expect(rate?.seconds).toBe(15);
  });
  it('stays within 0..1 across a statistics reset', () => {
    const before = { at, hits: 1_000_000, reads: 1_000, sizeBytes: null, dataBytes: null };
    const after = { at: at + 15_000, hits: 90, reads: 10, sizeBytes: null, dataBytes: null };
    const rate = cacheRate(before, after);
    expect(rate?.resetSeen).toBe(true);
    expect(rate?.items.ratio).toBeCloseTo(0.9);
  });
  it('has no ratio for an interval without reads', () => {
    const same = { at, hits: 5, reads: 5, sizeBytes: null, dataBytes: null };
    expect(cacheRate(same, { ...same, at: at + 1000 })?.items.ratio).toBeNull();
  });
  it('gives no rate for the same sample twice (a probe not due this cycle)', () => {
    const same = { at, hits: 5, reads: 5, sizeBytes: null, dataBytes: null };
    expect(cacheRate(same, same)).toBeNull();
  });
});

describe('statementRates', () => {
  it('turns cumulative counters into interval deltas, costliest first', () => {
    const rate = statementRates(
      statements(0, [stmt('a', 10, 1), stmt('b', 100, 2)]),
      statements(10_000, [stmt('a', 20, 6), stmt('b', 150, 3)]),
    );
    expect(rate?.items.map((s) => [s.id, s.calls, s.totalSeconds])).toEqual([
      ['a', 10, 5],
      ['b', 50, 1],
    ]);
    expect(rate?.items[0]?.meanSeconds).toBeCloseTo(0.5);
  });

  it('never yields a negative rate when pg_stat_statements is reset between samples', () => {
    const rate = statementRates(
      statements(0, [stmt('a', 1000, 100), stmt('b', 500, 50)]),
      statements(10_000, [stmt('a', 3, 0.2)], 5_000),
    );
    expect(rate?.resetSeen).toBe(true);
    for (const s of rate?.items ?? []) {
      expect(s.calls).toBeGreaterThanOrEqual(0);
      expect(s.totalSeconds).toBeGreaterThanOrEqual(0);
      expect(s.rows).toBeGreaterThanOrEqual(0);
    }
    expect(rate?.items).toHaveLength(1);
    expect(rate?.items[0]?.calls).toBe(3);
  });

  it('detects a per-statement reset without a reset time (MySQL TRUNCATE of the digest table)', () => {
    const rate = statementRates(
      statements(0, [stmt('a', 1000, 100)]),
      statements(10_000, [stmt('a', 4, 0.4)]),
    );
    expect(rate?.resetSeen).toBe(true);
    expect(rate?.items[0]?.calls).toBe(4);
    expect(rate?.items[0]?.blocksHit).toBe(40);
  });

  it('counts a statement first seen in this interval in full', () => {
    const rate = statementRates(statements(0, []), statements(10_000, [stmt('new', 7, 0.7)]));
    expect(rate?.items[0]?.calls).toBe(7);
  });

  it('leaves out statements that did not run in the interval', () => {
    const rate = statementRates(statements(0, [stmt('a', 5, 1)]), statements(10_000, [stmt('a', 5, 1)]));
    expect(rate?.items).toEqual([]);
  });
});

describe('tableRates', () => {
  it('shows sequential scans of the interval and survives a stats reset', () => {
    const rate = tableRates(
      tables(0, [table('public.a', 10, 10_000), table('public.b', 100, 50)]),
      tables(60_000, [table('public.a', 12, 12_000), table('public.b', 2, 1)]),
    );
    expect(rate?.seconds).toBe(60);
    expect(rate?.resetSeen).toBe(true);
    expect(rate?.items).toEqual([
      expect.objectContaining({ table: 'public.a', seqScans: 2, seqRowsRead: 2000 }),
      expect.objectContaining({ table: 'public.b', seqScans: 2, seqRowsRead: 1 }),
    ]);
  });
});
