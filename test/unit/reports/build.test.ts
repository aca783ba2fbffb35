import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../../agent/findings/finding.js';
import type { TrackedFinding } from '../../../agent/findings/tracker.js';
import { buildReport } from '../../../agent/reports/build.js';
import { makeReport } from '../../../agent/reports/make.js';
import { resolvePeriod } from '../../../agent/reports/period.js';
import { renderMarkdown } from '../../../agent/reports/render-md.js';
import { validateReport } from '../../../agent/reports/schema.js';
import { openStore } from '../../../agent/state/open.js';
import type { HourlyRollup, Store } from '../../../agent/state/store.js';

// The report builder over a real SQLite store written through its interface: the period and
// baseline rules, a finding raised and resolved inside a period, and clean diffs.

const H = 3600_000;
const T0 = Date.UTC(2026, 0, 10, 0, 0, 0);

function finding(kind: Finding['kind'], object: string, severity: Finding['severity'] = 'warning'): Finding {
  return {
    id: `${kind}:plant:${object}`,
    kind,
    severity,
    target: 'plant',
    object,
    summary: `${kind} on ${object}`,
    evidence: { ratio: 0.123456789, rows: 123456 },
    fix: null,
    runbook: `http://127.0.0.1:9187/runbooks/${kind}.md`,
    related: [],
  };
}

function episode(f: Finding, firstSeen: number, lastSeen: number, resolvedAt: number | null): TrackedFinding {
  return {
    finding: f,
    status: resolvedAt === null ? 'active' : 'resolved',
    firstSeen,
    lastSeen,
    resolvedAt,
    occurrences: 10,
    severityChanges: [{ at: firstSeen, from: null, to: f.severity }],
    worst: { severity: f.severity, at: firstSeen, summary: f.summary, evidence: f.evidence },
  };
}

function rollup(hour: number, meanSeconds: number, calls = 100): HourlyRollup {
  return {
    target: 'plant',
    hour,
    samples: 240,
    upSamples: 240,
    connections: {
      used: { peak: 40, mean: 20.123 },
      active: { peak: 10, mean: 3 },
      idle: { peak: 30, mean: 17 },
      idleInTransaction: { peak: 0, mean: 0 },
      waitingLock: { peak: 0, mean: 0 },
      other: { peak: 0, mean: 0 },
    },
    maxConnections: 100,
    saturationMax: 0.4,
    saturationWarningMinutes: 0,
    cacheHits: 9990,
    cacheReads: 10,
    cacheHitRatio: 0.999,
    serverVersion: '15.10',
    statements: [
      {
        queryId: 'q1',
        fingerprint: 'SELECT * FROM t WHERE id = ?',
        calls,
        totalSeconds: calls * meanSeconds,
        meanSeconds,
        rows: calls,
      },
    ],
    tables: [],
  };
}

describe('report builder on a SQLite store', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-report-unit-'));
    store = await openStore({ dataDir: dir });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without a stored report, compares with the previous period of the same length; a finding raised and resolved inside the period is resolved with its duration', async () => {
    await store.saveRollups([
      rollup(T0, 0.001),
      rollup(T0 + H, 0.001),
      rollup(T0 + 2 * H, 0.002),
      rollup(T0 + 3 * H, 0.002),
    ]);
    await store.saveFindings([
      episode(
        finding('pool-saturation', 'connections', 'critical'),
        T0 + 2 * H + 60_000,
        T0 + 2 * H + 600_000,
        T0 + 2 * H + 660_000,
      ),
    ]);
    const report = await buildReport(store, {
      id: 'custom-1',
      kind: 'custom',
      from: T0 + 2 * H,
      to: T0 + 4 * H,
      now: T0 + 4 * H,
      baseline: null,
      history: [],
    });
    expect(validateReport(report)).toBeNull();
    expect(report.baseline).toEqual({
      source: 'period',
      reportId: null,
      period: { from: '2026-01-10T00:00:00Z', to: '2026-01-10T02:00:00Z' },
    });
    const plant = report.targets[0]!;
    expect(plant.findings.resolved).toHaveLength(1);
    expect(plant.findings.resolved[0]!.durationSeconds).toBe(600);
    expect(plant.findings.new).toHaveLength(0);
    expect(plant.statements.regressions).toHaveLength(1);
    expect(plant.statements.regressions[0]).toMatchObject({
      queryId: 'q1',
      meanSeconds: 0.002,
      baselineMeanSeconds: 0.001,
      meanChangePercent: 100,
    });
    expect(plant.status).toBe('warning');
    expect(plant.capacity).toMatchObject({
      hours: 2,
      connectionsPeak: 40,
      maxConnections: 100,
      headroom: 60,
      cacheHitRatio: 0.999,
    });
    expect(renderMarkdown(report)).toContain('lasted 10 min');
  });

  it('capacity runway: data growth to a configured limit, transaction-ID age and counters with days left at the period rate; slow-log classes against the baseline; a restart inside the period', async () => {
    const DAY = 24 * H;
    const restartAt = T0 + 2 * DAY + 30 * 60_000;
    const hours = Array.from({ length: 4 * 24 }, (_, i) => T0 + i * H);
    await store.saveRollups(
      hours.map((hour, i) => ({
        ...rollup(hour, 0.001),
        extra: {
          serverStartedAt: hour >= restartAt ? restartAt : T0 - 10 * DAY,
          databaseBytes: 1e9 + i * (1e8 / 24), // 100 MB a day
          transactionIds: {
            age: 200e6 + i * (1e6 / 24),
            database: 'plant',
            limit: 2 ** 31 - 3e6,
            next: 5e8 + i * (1e6 / 24),
          },
          counters: [{ name: 'public.orders_id_seq', value: 2e9 + i * (1e6 / 24), max: 2_147_483_647 }],
          slowQueries:
            i % 24 === 5
              ? [
                  {
                    id: 'abc',
                    fingerprint: 'SELECT * FROM history WHERE order_id = ?',
                    count: i >= 2 * 24 ? 30 : 10,
                    totalSeconds: 12,
                    maxSeconds: 2.5,
                    rowsExamined: 1e6,
                  },
                ]
              : [],
        },
      })),
    );
    const report = await buildReport(store, {
      id: 'custom-runway',
      kind: 'custom',
      from: T0 + 2 * DAY,
      to: T0 + 4 * DAY,
      now: T0 + 4 * DAY,
      baseline: null,
      history: [],
      dataLimits: { plant: 2e9 },
    });
    expect(validateReport(report)).toBeNull();
    const c = report.targets[0]!.capacity;
    expect(c.dataSource).toBe('database');
    expect(c.dataGrowthPerDayBytes).toBe(1e8);
    // 2 GB limit - (1 GB + 95/24 days x 100 MB) at 100 MB a day
    expect(c.daysToDataLimit).toBeCloseTo((2e9 - (1e9 + 95 * (1e8 / 24))) / 1e8, 1);
    expect(c.transactionIds).toMatchObject({ database: 'plant', perDay: 1e6, usedPercent: 9.5 });
    expect(c.transactionIds!.daysToLimit).toBeCloseTo((2 ** 31 - 3e6 - (200e6 + 95e6 / 24)) / 1e6, -1);
    expect(c.counters[0]).toMatchObject({ name: 'public.orders_id_seq', perDay: 1e6, usedPercent: 93 });
    expect(c.counters[0]!.daysToMax).toBeCloseTo((2_147_483_647 - (2e9 + 95e6 / 24)) / 1e6, -1);
    const slow = report.targets[0]!.statements.slowLog;
    expect(slow).toEqual([
      {
        id: 'abc',
        fingerprint: 'SELECT * FROM history WHERE order_id = ?',
        count: 60,
        totalSeconds: 24,
        maxSeconds: 2.5,
        rowsExamined: 2e6,
        baselineCount: 20,
      },
    ]);
    expect(report.targets[0]!.changes.restarts).toEqual([{ at: '2026-01-12T00:30:00Z' }]);
    const md = renderMarkdown(report);
    expect(md).toContain('days to the wraparound stop at this rate');
    expect(md).toContain('counter public.orders_id_seq');
    expect(md).toContain('server restarted');
    expect(md).toContain('#### Slow-log classes');
  });

  it('a statement with too few calls is no regression; a second report of a quiet system differs only in its dates', async () => {
    await store.saveRollups([0, 1, 2, 3].map((i) => rollup(T0 + i * H, i < 2 ? 0.001 : 0.005, 4)));
    await store.saveFindings([episode(finding('duplicate-index', 'public.t.t_dup'), T0, T0 + 4 * H, null)]);
    const first = await makeReport(store, { kind: 'custom', from: T0, to: T0 + 2 * H, now: T0 + 2 * H });
    const second = await makeReport(store, {
      kind: 'custom',
      from: T0 + 2 * H,
      to: T0 + 4 * H,
      now: T0 + 4 * H,
    });
    expect(second.baseline).toMatchObject({ source: 'report', reportId: first.id });
    expect(second.targets[0]!.statements.regressions).toEqual([]);
    const persisting = second.targets[0]!.findings.persisting;
    expect(persisting.map((f) => [f.id, f.seenIn])).toEqual([
      ['duplicate-index:plant:public.t.t_dup', { reports: 2, of: 2 }],
    ]);
    expect(persisting[0]!.proof).toEqual({ ratio: 0.123, rows: 123000 });

    // same quiet hours, a day later: only dates differ
    await store.saveRollups([0, 1].map((i) => rollup(T0 + 24 * H + i * H, 0.001, 4)));
    const a = await makeReport(store, { kind: 'daily', from: T0, to: T0 + 2 * H, now: T0 + 2 * H });
    const b = await makeReport(store, {
      kind: 'daily',
      from: T0 + 24 * H,
      to: T0 + 26 * H,
      now: T0 + 26 * H,
    });
    // the figures of two quiet periods are equal to the digit (rounded): only dates differ
    const figures = (r: typeof a) => {
      const t = r.targets[0]!;
      return {
        capacity: { ...t.capacity, trend: t.capacity.trend.map((p) => ({ ...p, at: 'DATE' })) },
        top: t.statements.top.map((x) => ({
          ...x,
          baselineCalls: null,
          baselineMeanSeconds: null,
          meanChangePercent: null,
        })),
        status: t.status,
      };
    };
    expect(figures(b)).toEqual(figures(a));
    expect(JSON.stringify(b.targets[0]!.capacity)).not.toMatch(/\.\d{5,}/);
  });

  it('periods: kinds, --period, --from/--to, and one-line errors', () => {
    const now = T0 + 48 * H;
    expect(resolvePeriod('daily', {}, now)).toEqual({ from: now - 24 * H, to: now });
    expect(resolvePeriod('monthly', {}, now).from).toBe(now - 30 * 24 * H);
    expect(resolvePeriod('custom', { period: '30m' }, now)).toEqual({ from: now - 1800_000, to: now });
    expect(
      resolvePeriod('custom', { from: '2026-01-10T00:00:00Z', to: '2026-01-10T06:00:00Z' }, now),
    ).toEqual({
      from: T0,
      to: T0 + 6 * H,
    });
    expect(() => resolvePeriod('custom', { period: 'soon' }, now)).toThrow(/give a duration/);
    expect(() =>
      resolvePeriod('custom', { from: '2026-01-11T00:00:00Z', to: '2026-01-10T00:00:00Z' }, now),
    ).toThrow(/empty/);
  });
});
