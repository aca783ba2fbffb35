import { describe, expect, it } from 'vitest';
import type { Rates, StatementRate } from '../../../agent/snapshot/rates.js';
import { HOUR_MS, HourlyRollupBuilder, SettingsWatcher } from '../../../agent/state/rollup.js';
import { connections, snapshot, T0 } from '../advisors/fixtures.js';

const OPTIONS = { topStatements: 2, topTables: 1, saturationWarningRatio: 0.9, intervalSeconds: 15 };

function statement(id: string, calls: number, totalSeconds: number): StatementRate {
  return {
    id,
    fingerprint: `SELECT ${id}`,
    database: 'app',
    calls,
    totalSeconds,
    meanSeconds: totalSeconds / calls,
    rows: calls,
    rowsExamined: null,
    noIndexUsedCalls: null,
    blocksHit: null,
    blocksRead: null,
  };
}

function rates(at: number, statements: StatementRate[], cache = { hits: 90, reads: 10 }): Rates {
  return {
    cache: {
      at,
      seconds: 15,
      resetSeen: false,
      items: { seconds: 15, ...cache, ratio: cache.hits / (cache.hits + cache.reads) },
    },
    statements: { at, seconds: 15, resetSeen: false, items: statements },
    tables: null,
  };
}

describe('hourly rollup', () => {
  it('peak and mean per connection state, saturation max and minutes at warning, interval cache ratio, top N + other', () => {
    const b = new HourlyRollupBuilder('db', OPTIONS);
    const at = (i: number) => T0 + i * 15_000;
    b.observe(
      snapshot(at(0), { connections: connections(at(0), 50) }),
      rates(at(0), [statement('a', 10, 1), statement('b', 5, 2.5), statement('c', 1, 0.1)]),
    );
    b.observe(
      snapshot(at(1), { connections: connections(at(1), 95) }),
      rates(at(1), [statement('a', 10, 1)]),
    );
    b.observe(
      snapshot(at(2), { connections: connections(at(2), 100) }),
      rates(at(2), [statement('c', 1, 5)], { hits: 0, reads: 100 }),
    );
    // a cycle whose connections sample and rates were carried over (probe not due): not counted twice
    b.observe(
      snapshot(at(3), { connections: connections(at(2), 100) }),
      rates(at(2), [statement('c', 1, 5)]),
    );
    const r = b.current()!;
    expect(r).toMatchObject({
      target: 'db',
      hour: T0,
      samples: 4,
      upSamples: 3,
      maxConnections: 100,
      saturationMax: 1,
    });
    expect(r.connections?.used).toEqual({ peak: 100, mean: 245 / 3 });
    expect(r.connections?.active.peak).toBe(100);
    expect(r.saturationWarningMinutes).toBeCloseTo(0.5); // two samples of 15 s at or above 90%
    expect(r.cacheHits).toBe(180);
    expect(r.cacheReads).toBe(120);
    expect(r.cacheHitRatio).toBeCloseTo(0.6);
    expect(r.statements.map((s) => [s.queryId, s.calls, s.totalSeconds])).toEqual([
      ['c', 2, 5.1],
      ['b', 5, 2.5],
      ['other', 20, 2],
    ]);
    expect(r.statements[0]?.meanSeconds).toBeCloseTo(2.55);
  });

  it('hands back the finished hour when the next one starts, and goes on from a stored hour after a restart', () => {
    const b = new HourlyRollupBuilder('db', OPTIONS);
    b.observe(snapshot(T0, { connections: connections(T0, 10) }), rates(T0, [statement('a', 1, 1)]));
    const stored = b.current()!;
    const restarted = new HourlyRollupBuilder('db', OPTIONS, stored);
    expect(
      restarted.observe(
        snapshot(T0 + 60_000, { connections: connections(T0 + 60_000, 30) }),
        rates(T0 + 60_000, [statement('a', 1, 1)]),
      ),
    ).toBeNull();
    expect(restarted.current()).toMatchObject({
      samples: 2,
      upSamples: 2,
      connections: { used: { peak: 30, mean: 20 } },
    });
    expect(restarted.current()?.statements[0]).toMatchObject({ queryId: 'a', calls: 2, totalSeconds: 2 });
    const next = T0 + HOUR_MS;
    const finished = restarted.observe(
      snapshot(next, { connections: connections(next, 5) }),
      rates(next, []),
    );
    expect(finished).toMatchObject({ hour: T0, samples: 2 });
    expect(restarted.current()).toMatchObject({ hour: next, samples: 1 });
  });

  it('settings: the first sight is the baseline, then only changes (and disappearances)', () => {
    const w = new SettingsWatcher('db', {});
    const s = (at: number, values: Record<string, string>) =>
      snapshot(at, { settings: { at, serverStartedAt: null, values, hostMemoryBytes: null } });
    expect(
      w.observe(s(T0, { max_connections: '100', work_mem: '4' })).map((c) => [c.name, c.previous, c.value]),
    ).toEqual([
      ['max_connections', null, '100'],
      ['work_mem', null, '4'],
    ]);
    expect(w.observe(s(T0, { max_connections: '150' }))).toEqual([]); // same sample again
    expect(
      w.observe(s(T0 + 1, { max_connections: '150' })).map((c) => [c.name, c.previous, c.value]),
    ).toEqual([
      ['max_connections', '100', '150'],
      ['work_mem', '4', null],
    ]);
    const restarted = new SettingsWatcher('db', { max_connections: '150' });
    expect(restarted.observe(s(T0 + 2, { max_connections: '150' }))).toEqual([]);
  });

  it('slow-log classes per hour: deltas of the digest from the first look on, a follower that restarted counts whole; gauges last seen', () => {
    const b = new HourlyRollupBuilder('db', OPTIONS);
    const cls = (count: number, totalSeconds: number) => ({
      id: 'k1',
      fingerprint: 'SELECT * FROM history WHERE order_id = ?',
      count,
      totalSeconds,
      maxSeconds: 2,
      lockSeconds: 0,
      rowsSent: 1,
      rowsExamined: count * 1000,
      databases: ['app'],
      sample: null,
      firstSeenAt: null,
      lastSeenAt: null,
    });
    const slow = (at: number, count: number, totalSeconds: number) => ({
      slowlog: { at, path: '/var/log/slow.log', classes: [cls(count, totalSeconds)], linesSkipped: 0 },
    });
    const none: Rates = { cache: null, statements: null, tables: null };
    // what the follower counted before this hour began is not this hour's
    b.observe(snapshot(T0, slow(T0, 100, 50)), none);
    b.observe(snapshot(T0 + 15_000, { ...slow(T0 + 15_000, 104, 58) }), none);
    // the follower restarted: its counts start again from zero, and all of them are new
    b.observe(snapshot(T0 + 30_000, slow(T0 + 30_000, 3, 6)), none);
    b.observe(
      snapshot(T0 + 45_000, {
        ...slow(T0 + 45_000, 3, 6),
        settings: { at: T0 + 45_000, serverStartedAt: T0 - 5000, values: {}, hostMemoryBytes: null },
        runway: {
          at: T0 + 45_000,
          transactionIds: null,
          counters: [{ name: 's', column: null, value: 9, max: 10 }],
          hidden: 0,
        },
      }),
      none,
    );
    const extra = b.current()!.extra!;
    expect(extra.slowQueries).toEqual([
      {
        id: 'k1',
        fingerprint: 'SELECT * FROM history WHERE order_id = ?',
        count: 7,
        totalSeconds: 14,
        maxSeconds: 2,
        rowsExamined: 7000,
      },
    ]);
    expect(extra.serverStartedAt).toBe(T0 - 5000);
    expect(extra.counters).toEqual([{ name: 's', value: 9, max: 10 }]);
  });
});
