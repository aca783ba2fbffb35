import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../../agent/findings/finding.js';
import { FindingTracker } from '../../../agent/findings/tracker.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate } from '../../../agent/state/migrations.js';
import { openStore, type StoreLocation } from '../../../agent/state/open.js';
import { openPostgresStore } from '../../../agent/state/postgres.js';
import { openSqlite } from '../../../agent/state/sqlite.js';
import type { HourlyRollup, Retention, Store } from '../../../agent/state/store.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

// One suite, run against every store backend: SQLite in a temp data directory and a real
// PostgreSQL (a server of the test's own, one fresh database per run).

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 10, 8);

interface Backend {
  name: string;
  /** a fresh, empty store location each call */
  location(): Promise<StoreLocation>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    async location() {
      const dir = mkdtempSync(join(tmpdir(), 'dbdiag-store-'));
      dirs.push(dir);
      return { dataDir: join(dir, 'nested', 'data') };
    },
    async cleanup() {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

function postgresBackend(): Backend {
  let server: PostgresServer | undefined;
  let n = 0;
  return {
    name: 'postgres',
    async location() {
      server ??= await startPostgres({ version: 15 });
      const database = `dbdiag_store_${process.pid}_${Date.now()}_${n++}`;
      await server.query(`CREATE DATABASE ${database}`);
      return { store: server.url({ database }) };
    },
    async cleanup() {
      await server?.stop();
    },
  };
}

function finding(over: Partial<Finding> = {}): Finding {
  return {
    id: 'pool-saturation:db:connections',
    kind: 'pool-saturation',
    severity: 'warning',
    target: 'db',
    object: 'connections',
    summary: 'connections 95/100',
    evidence: { used: 95, max: 100 },
    fix: {
      summary: 'raise max_connections',
      statements: ['ALTER SYSTEM SET max_connections = 150'],
      risk: 'restart',
      rollback: 'reset',
      actions: [],
    },
    runbook: 'http://agent/runbooks/pool-saturation.md',
    related: [],
    ...over,
  };
}

function rollup(target: string, hour: number, over: Partial<HourlyRollup> = {}): HourlyRollup {
  return {
    target,
    hour,
    samples: 240,
    upSamples: 238,
    connections: {
      used: { peak: 100, mean: 61.5 },
      active: { peak: 90, mean: 40 },
      idle: { peak: 30, mean: 20 },
      idleInTransaction: { peak: 3, mean: 0.5 },
      waitingLock: { peak: 1, mean: 0 },
      other: { peak: 0, mean: 0 },
    },
    maxConnections: 100,
    saturationMax: 1,
    saturationWarningMinutes: 12.25,
    cacheHits: 990_000,
    cacheReads: 10_000,
    cacheHitRatio: 0.99,
    serverVersion: '15.8',
    statements: [
      {
        queryId: '-123',
        fingerprint: 'SELECT * FROM work_order_history WHERE order_id = $1',
        calls: 5000,
        totalSeconds: 1200.5,
        meanSeconds: 0.2401,
        rows: 5000,
      },
      {
        queryId: '456',
        fingerprint: 'UPDATE work_orders SET state = $1 WHERE id = $2',
        calls: 800,
        totalSeconds: 3.2,
        meanSeconds: 0.004,
        rows: 800,
      },
      {
        queryId: 'other',
        fingerprint: null,
        calls: 120,
        totalSeconds: 0.5,
        meanSeconds: 0.0041666,
        rows: 9000,
      },
    ],
    tables: [
      {
        table: 'public.work_order_history',
        dataBytes: 512e6,
        indexBytes: 64e6,
        seqScans: 4900,
        seqRowsRead: 4.9e9,
        indexScans: 10,
        liveRows: 1e6,
        deadRows: 2500,
      },
      {
        table: 'public.work_orders',
        dataBytes: 8e6,
        indexBytes: null,
        seqScans: 0,
        seqRowsRead: 0,
        indexScans: 800,
        liveRows: 50_000,
        deadRows: null,
      },
    ],
    ...over,
  };
}

const RETENTION: Retention = {
  findings: 30,
  rollups: 7,
  settings: 30,
  report: 10,
  'drill-run': 10,
  'applied-fix': 10,
  audit: 3650,
};

describe.each([sqliteBackend(), postgresBackend()])('state store on $name', (backend) => {
  let store: Store;

  beforeAll(async () => {
    store = await openStore(await backend.location());
  });

  afterAll(async () => {
    await store?.close();
    await backend.cleanup();
  });

  it('migrates a new store to the latest schema, and again is a no-op', async () => {
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    const location = await backend.location();
    const again = await openStore(location);
    await again.close();
    const third = await openStore(location);
    expect(await third.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    await third.close();
  });

  it('two agents starting together on one new store both come up, the schema applied once', async () => {
    const location = await backend.location();
    const stores = await Promise.all([openStore(location), openStore(location), openStore(location)]);
    for (const s of stores) expect(await s.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    const exported = await stores[0]!.exportAll();
    const versions = exported.find((t) => t.table === 'dbdiag_schema_migrations')!.rows;
    expect(versions).toHaveLength(MIGRATIONS.length);
    for (const s of stores) await s.close();
  });

  it('agents starting together as separate processes on one new store all come up, the schema applied once', async () => {
    const location = await backend.location();
    const runs = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<{ code: number | null; out: string; err: string }>((done) => {
            const child = spawn(
              process.execPath,
              ['--import', 'tsx', 'test/support/open-store.ts', JSON.stringify(location)],
              {
                cwd: ROOT,
              },
            );
            let out = '';
            let err = '';
            child.stdout.on('data', (d: Buffer) => {
              out += d.toString();
            });
            child.stderr.on('data', (d: Buffer) => {
              err += d.toString();
            });
            child.on('exit', (code) => done({ code, out, err }));
          }),
      ),
    );
    for (const run of runs) {
      expect(run.code, run.err).toBe(0);
      expect(run.out.trim()).toBe(String(LATEST_SCHEMA_VERSION));
    }
    const s = await openStore(location);
    const versions = (await s.exportAll()).find((t) => t.table === 'dbdiag_schema_migrations')!.rows;
    expect(versions).toHaveLength(MIGRATIONS.length);
    await s.close();
  });

  it('refuses a store whose schema is newer than this dbdiag knows', async () => {
    const location = await backend.location();
    const s = await openStore(location);
    await s.close();
    const db = location.store
      ? openPostgresStore(location.store)
      : openSqlite(join(location.dataDir!, 'dbdiag.sqlite'));
    await migrate(db, [
      ...MIGRATIONS,
      { version: 999, name: 'future', sql: 'CREATE TABLE dbdiag_future (x TEXT)' },
    ]);
    await db.close();
    await expect(openStore(location)).rejects.toThrow(/schema is version 999, newer than this dbdiag knows/);
  });

  it('keeps a finding episode through its life: raised, seen again, escalated, resolved; events in order', async () => {
    const tracker = new FindingTracker(60);
    const steps = [
      tracker.update([finding()], T0),
      tracker.update([finding()], T0 + 15_000),
      tracker.update(
        [
          finding({
            severity: 'critical',
            summary: 'connections 100/100',
            evidence: { used: 100, max: 100 },
          }),
        ],
        T0 + 30_000,
      ),
      tracker.update([], T0 + 120_000),
    ];
    for (const step of steps) {
      await store.saveFindings(step.changed);
      await store.appendFindingEvents(step.events);
    }
    const [resolved] = await store.findings({ status: 'resolved', target: 'db' });
    expect(resolved).toMatchObject({
      status: 'resolved',
      firstSeen: T0,
      lastSeen: T0 + 30_000,
      resolvedAt: T0 + 120_000,
      occurrences: 3,
      worst: { severity: 'critical', at: T0 + 30_000, evidence: { used: 100, max: 100 } },
    });
    expect(resolved!.finding.fix?.statements).toEqual(['ALTER SYSTEM SET max_connections = 150']);
    expect(resolved!.severityChanges).toEqual([
      { at: T0, from: null, to: 'warning' },
      { at: T0 + 30_000, from: 'warning', to: 'critical' },
    ]);
    expect(await store.findings({ status: 'active' })).toEqual([]);
    const events = await store.findingEvents('pool-saturation:db:connections', T0);
    expect(events.map((e) => [e.type, e.severity, e.at])).toEqual([
      ['raised', 'warning', T0],
      ['escalated', 'critical', T0 + 30_000],
      ['resolved', 'critical', T0 + 120_000],
    ]);
  });

  it('queries findings by status, since, target and kind; a recurrence is its own episode', async () => {
    const later = T0 + DAY;
    const tracker = new FindingTracker(60);
    const a = tracker.update(
      [
        finding(),
        finding({
          id: 'low-cache-hit:other:buffer',
          kind: 'low-cache-hit',
          target: 'other',
          object: 'buffer',
        }),
      ],
      later,
    );
    await store.saveFindings(a.changed);
    const active = await store.findings({ status: 'active' });
    expect(active.map((t) => t.finding.id).sort()).toEqual([
      'low-cache-hit:other:buffer',
      'pool-saturation:db:connections',
    ]);
    expect((await store.findings({ target: 'db' })).map((t) => [t.status, t.firstSeen])).toEqual([
      ['active', later],
      ['resolved', T0],
    ]);
    expect((await store.findings({ kind: 'low-cache-hit' })).map((t) => t.finding.target)).toEqual(['other']);
    expect((await store.findings({ since: later - HOUR })).length).toBe(2);
    expect((await store.findings({ since: later + 1 })).length).toBe(0);
    // after a restart the active episodes come back as they were
    const restored = new FindingTracker(60, await store.findings({ status: 'active', target: 'db' }));
    const next = restored.update([finding()], later + 15_000);
    expect(next.changed[0]).toMatchObject({ firstSeen: later, occurrences: 2 });
  });

  it('stores an hourly rollup whole and replaces it as the hour fills', async () => {
    const hour = T0 - (T0 % HOUR);
    await store.saveRollups([rollup('db', hour, { samples: 10 })]);
    await store.saveRollups([
      rollup('db', hour),
      rollup('db', hour + HOUR, { statements: [], tables: [], connections: null, cacheHitRatio: null }),
    ]);
    const got = await store.rollups({ target: 'db', from: hour, to: hour + 2 * HOUR });
    expect(got).toHaveLength(2);
    expect(got[0]).toEqual(rollup('db', hour));
    expect(got[1]).toMatchObject({ statements: [], tables: [], connections: null, cacheHitRatio: null });
    expect(await store.rollups({ target: 'db', from: hour + HOUR })).toHaveLength(1);
    expect(await store.rollups({ target: 'nobody' })).toEqual([]);
  });

  it('sums a period in the store as its hours sum: whole days from the daily sums, the edges from the hours', async () => {
    const store = await openStore(await backend.location()); // its own: the prune test counts rows
    const start = Date.UTC(2026, 1, 1, 20); // 20:00 on day 1 .. 04:00 on day 4: two edges and two whole days
    const hours = Array.from({ length: 56 }, (_, i) => start + i * HOUR);
    const made = hours.flatMap((hour, i) => [
      rollup('sum-a', hour, {
        extra:
          i === 3
            ? {
                serverStartedAt: hour,
                databaseBytes: 1e9,
                transactionIds: null,
                counters: [],
                slowQueries: [],
              }
            : null,
        statements: rollup('sum-a', hour).statements.map((s) => ({
          ...s,
          calls: s.calls + i,
          totalSeconds: s.totalSeconds * (1 + i / 10),
        })),
      }),
      rollup('sum-b', hour, { tables: [], statements: i % 2 ? [] : rollup('sum-b', hour).statements }),
    ]);
    // written hour by hour, the current hour re-written as it fills (as the agent does)
    for (const r of made) {
      await store.saveRollups([{ ...r, statements: r.statements.slice(0, 1) }]);
      await store.saveRollups([r]);
    }
    const from = start + 2 * HOUR;
    const to = start + 50 * HOUR;
    const summaries = await store.rollupSummaries({ from, to });
    const raw = await store.rollups({ from, to });
    expect(summaries.map((s) => s.target)).toEqual(['sum-a', 'sum-b']);
    for (const summary of summaries) {
      const mine = raw.filter((r) => r.target === summary.target);
      expect(summary.hours.map((h) => h.hour)).toEqual(mine.map((r) => r.hour));
      const sums = new Map<string, { calls: number; totalSeconds: number }>();
      for (const r of mine)
        for (const s of r.statements) {
          const sum = sums.get(s.queryId) ?? { calls: 0, totalSeconds: 0 };
          sum.calls += s.calls;
          sum.totalSeconds += s.totalSeconds;
          sums.set(s.queryId, sum);
        }
      expect(summary.statements.map((s) => s.queryId).sort()).toEqual([...sums.keys()].sort());
      for (const s of summary.statements) {
        expect(s.calls).toBe(sums.get(s.queryId)?.calls);
        expect(s.totalSeconds).toBeCloseTo(sums.get(s.queryId)?.totalSeconds ?? -1, 6);
      }
      for (const [i, h] of summary.hours.entries()) {
        const r = mine[i]!;
        expect(h.statementSeconds).toBeCloseTo(
          r.statements.reduce((a, s) => a + s.totalSeconds, 0),
          6,
        );
        expect(h.tableBytes).toBe(r.tables.length ? 512e6 + 64e6 + 8e6 : null);
        expect(h.connectionsPeak).toBe(100);
      }
    }
    expect(summaries[0]?.hours.find((h) => h.hour === start + 3 * HOUR)?.extra?.databaseBytes).toBe(1e9);
    expect(summaries[0]?.statements[0]?.fingerprint).toBe(
      'SELECT * FROM work_order_history WHERE order_id = $1',
    );
    const one = await store.rollupSummaries({ target: 'sum-b', from, to, hours: false });
    expect(one.map((s) => [s.target, s.hours.length])).toEqual([['sum-b', 0]]);
    expect(one[0]?.statements.map((s) => [s.queryId, s.calls])).toEqual(
      summaries[1]?.statements.map((s) => [s.queryId, s.calls]),
    );
    await store.close();
  });

  it('keeps settings changes and the current value of each setting', async () => {
    await store.saveSettingChanges([
      { target: 'db', name: 'max_connections', value: '100', previous: null, at: T0 },
      { target: 'db', name: 'work_mem', value: '4194304', previous: null, at: T0 },
    ]);
    await store.saveSettingChanges([
      { target: 'db', name: 'max_connections', value: '150', previous: '100', at: T0 + HOUR },
    ]);
    expect(await store.currentSettings('db')).toEqual({ max_connections: '150', work_mem: '4194304' });
    const changes = await store.settingChanges({ target: 'db', name: 'max_connections' });
    expect(changes.map((c) => [c.previous, c.value])).toEqual([
      ['100', '150'],
      [null, '100'],
    ]);
    await store.saveServerVersion({ target: 'db', version: '15.8', firstSeen: T0, lastSeen: T0 });
    await store.saveServerVersion({
      target: 'db',
      version: '15.8',
      firstSeen: T0 + HOUR,
      lastSeen: T0 + HOUR,
    });
    await store.saveServerVersion({ target: 'db', version: '15.9', firstSeen: T0 + DAY, lastSeen: T0 + DAY });
    expect(await store.serverVersions('db')).toEqual([
      { target: 'db', version: '15.8', firstSeen: T0, lastSeen: T0 + HOUR },
      { target: 'db', version: '15.9', firstSeen: T0 + DAY, lastSeen: T0 + DAY },
    ]);
  });

  it('keeps the records of later capabilities by kind and id with a JSON payload', async () => {
    await store.putRecords([
      {
        kind: 'report',
        id: 'daily-2026-01-10',
        target: 'db',
        at: T0,
        payload: { title: 'daily', sections: [1, 2] },
      },
      { kind: 'report', id: 'daily-2026-01-11', target: 'db', at: T0 + DAY, payload: { title: 'daily' } },
      { kind: 'audit', id: '1', target: null, at: T0, payload: { hash: 'abc', prev: null } },
    ]);
    expect((await store.records('report')).map((r) => r.id)).toEqual([
      'daily-2026-01-11',
      'daily-2026-01-10',
    ]);
    expect((await store.records('report', { since: T0 + 1 })).map((r) => r.id)).toEqual(['daily-2026-01-11']);
    expect(await store.record('audit', '1')).toEqual({
      kind: 'audit',
      id: '1',
      target: null,
      at: T0,
      payload: { hash: 'abc', prev: null },
    });
    expect(await store.record('drill-run', '1')).toBeNull();
  });

  it('prunes each kind by its retention, never an active finding nor the latest value of a setting', async () => {
    const now = T0 + 40 * DAY;
    const tracker = new FindingTracker(60);
    await store.saveFindings(
      tracker.update([finding({ id: 'slow-query:db:q', kind: 'slow-query', object: 'q' })], T0 - DAY).changed,
    );
    await store.saveRollups([rollup('db', now - 2 * DAY)]);
    const { removed } = await store.prune(RETENTION, now);
    expect(removed.dbdiag_findings).toBe(1); // the episode resolved at T0 + 2 min (40 days ago)
    expect(removed.dbdiag_finding_events).toBe(3);
    expect(removed.dbdiag_rollups).toBe(2);
    expect(removed.dbdiag_setting_changes).toBe(1); // max_connections=100 went; 150 and work_mem stay
    expect(removed.dbdiag_records).toBe(2); // the reports; the audit record is kept 10 years
    expect(
      (await store.findings({ id: undefined, status: 'active' } as never)).map((t) => t.finding.id),
    ).toContain('slow-query:db:q');
    expect(await store.currentSettings('db')).toEqual({ max_connections: '150', work_mem: '4194304' });
    expect((await store.rollups({ target: 'db' })).map((r) => r.hour)).toEqual([now - 2 * DAY]);
    await store.vacuum();
    const info = await store.info();
    expect(info.backend).toBe(backend.name);
    expect(info.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(info.sizeBytes).toBeGreaterThan(0);
    expect(info.targets).toContain('db');
    expect(info.tables.find((t) => t.table === 'dbdiag_rollups')?.rows).toBe(1);
    expect(info.location).not.toMatch(/:[^/@]*@/);
  });
});
