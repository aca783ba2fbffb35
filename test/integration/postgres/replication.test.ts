import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import type { EngineSession, SamplingLimits, TargetSpec } from '../../../agent/engines/engine.js';
import { postgresDriver } from '../../../agent/engines/postgres/driver.js';
import { rootLogger } from '../../../agent/log.js';
import { type RunningAgent, startAgent } from '../../../agent/runtime/agent.js';
import { runnerOptionsFor } from '../../../agent/runtime/runner-options.js';
import { loadSandboxEngine } from '../../../agent/sandbox/engines.js';
import type { SandboxReplicaPair } from '../../../agent/sandbox/server.js';
import type { ReplicationSignals } from '../../../agent/snapshot/signals.js';
import {
  loadDashboards,
  panelQueries,
  rulesForTest,
  startPrometheus,
  substituteVariables,
} from '../../support/prometheus.js';
import { untilValue as until } from '../../support/until.js';

// A real PostgreSQL 15 primary with a streaming replica (pg_basebackup -R): the replication
// probe as a pg_monitor-only role on both. Replay is paused on the replica for real while the
// primary writes, and resumed; a slot nobody consumes keeps WAL on the primary.

const LIMITS: SamplingLimits = {
  statementTimeoutMs: 5000,
  topStatements: 50,
  topTables: 50,
  topIndexes: 100,
};
const log = rootLogger.child({ component: 'test' });
const MONITOR = 'repl_monitor';

function target(name: string, dsn: string): TargetSpec {
  return { name, engine: 'postgres', dsn, poolerDsn: null };
}

async function replication(session: EngineSession): Promise<ReplicationSignals> {
  const outcome = await session.sample('replication');
  if (outcome.status !== 'ok') throw new Error(`replication probe: ${outcome.reason}`);
  const signals = outcome.signals.replication;
  if (!signals) throw new Error('replication probe returned no signals');
  return signals;
}

describe('PostgreSQL 15 replication probe on a real primary + streaming replica', () => {
  let pair: SandboxReplicaPair;
  let onPrimary: EngineSession;
  let onReplica: EngineSession;

  beforeAll(async () => {
    const startPair = (await loadSandboxEngine('postgres')).startReplicaPair;
    if (!startPair) throw new Error('the PostgreSQL sandbox has no replica pair');
    pair = await startPair({ version: 15, purpose: 'test', maxConnections: 20 });
    // made on the primary, replicated to the replica like any other role
    await pair.primary.query(`CREATE ROLE ${MONITOR} LOGIN IN ROLE pg_monitor`);
    await pair.primary.query('CREATE TABLE ticks (id bigserial PRIMARY KEY, payload text)');
    await pair.primary.query("INSERT INTO ticks (payload) SELECT 'x' FROM generate_series(1, 100)");
    onPrimary = await postgresDriver.connect(
      target('primary', pair.primary.dsn({ user: MONITOR })),
      LIMITS,
      log,
    );
    await until(
      () => pair.replica.query(`SELECT 1 FROM pg_roles WHERE rolname = '${MONITOR}'`),
      (rows) => rows.length === 1,
      'the monitoring role on the replica',
    );
    onReplica = await postgresDriver.connect(
      target('replica', pair.replica.dsn({ user: MONITOR })),
      LIMITS,
      log,
    );
  }, 120_000);

  afterAll(async () => {
    await onPrimary?.close();
    await onReplica?.close();
    await pair?.destroy();
  });

  it('says which server is which, and an idle caught-up replica has zero lag', async () => {
    const primary = await until(
      () => replication(onPrimary),
      (r) => r.replicas.some((x) => x.name === pair.replicaName && x.lagBytes === 0),
      'the replica caught up',
    );
    expect(primary.role).toBe('primary');
    expect(primary.self).toBeNull();
    expect(primary.replicas).toEqual([
      { name: pair.replicaName, state: 'streaming', lagBytes: 0, lagSeconds: 0 },
    ]);
    const replica = await replication(onReplica);
    expect(replica.role).toBe('replica');
    expect(replica.replicas).toEqual([]);
    expect(replica.self).toEqual({
      lagBytes: 0,
      lagSeconds: 0,
      paused: false,
      receiving: true,
      lastError: null,
      conflicts: 0,
    });
  });

  it('shows lag while replay is paused and the primary writes, and none once resumed', async () => {
    await pair.replica.query('SELECT pg_wal_replay_pause()');
    try {
      await new Promise((r) => setTimeout(r, 1100));
      await pair.primary.query("INSERT INTO ticks (payload) SELECT 'y' FROM generate_series(1, 1000)");
      const behind = await until(
        () => replication(onReplica),
        (r) => (r.self?.lagBytes ?? 0) > 0,
        'replica lag while paused',
      );
      expect(behind.self?.paused).toBe(true);
      expect(behind.self?.lagSeconds).toBeGreaterThan(1);
      const seenFromPrimary = await until(
        () => replication(onPrimary),
        (r) => (r.replicas[0]?.lagBytes ?? 0) > 0,
        'lag bytes on the primary',
      );
      expect(seenFromPrimary.replicas[0]?.name).toBe(pair.replicaName);
    } finally {
      await pair.replica.query('SELECT pg_wal_replay_resume()');
    }
    const caughtUp = await until(
      () => replication(onReplica),
      (r) => r.self?.lagBytes === 0,
      'replica lag after resume',
    );
    expect(caughtUp.self).toMatchObject({ lagBytes: 0, lagSeconds: 0, paused: false, receiving: true });
    await until(
      () => replication(onPrimary),
      (r) => r.replicas[0]?.lagBytes === 0 && r.replicas[0]?.lagSeconds === 0,
      'no lag on the primary after resume',
    );
  });

  it('reports a slot nobody consumes with the WAL it retains', async () => {
    await pair.primary.query("SELECT pg_create_physical_replication_slot('dbdiag_idle_slot', true)");
    try {
      await pair.primary.query(
        "INSERT INTO ticks (payload) SELECT repeat('z', 200) FROM generate_series(1, 5000)",
      );
      const signals = await replication(onPrimary);
      const slot = signals.slots.find((s) => s.name === 'dbdiag_idle_slot');
      expect(slot?.active).toBe(false);
      expect(slot?.retainedBytes).toBeGreaterThan(500_000);
    } finally {
      await pair.primary.query("SELECT pg_drop_replication_slot('dbdiag_idle_slot')");
    }
  });

  it('a real agent and a real Prometheus: read-split names the reads of the 90%-read table, an inactive slot and a paused replica raise findings and fire their rules, which clear after the fix', async () => {
    const primary = pair.primary;
    await primary.query(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
      CREATE TABLE orders_rs (id int PRIMARY KEY, status text NOT NULL);
      INSERT INTO orders_rs SELECT g, 'open' FROM generate_series(1, 1000) g;
      CREATE TABLE events_rs (id bigserial PRIMARY KEY, msg text NOT NULL);
      SELECT pg_stat_statements_reset();`);
    // 90% reads on orders_rs; a write-heavy events_rs (its rare read must not be named either)
    const app = await primary.connect();
    try {
      for (let i = 0; i < 1000; i++) {
        if (i % 10 === 9)
          await app.query('UPDATE orders_rs SET status = $1 WHERE id = $2', [`s${i % 3}`, 1 + (i % 1000)]);
        else await app.query('SELECT status FROM orders_rs WHERE id = $1', [1 + ((i * 7) % 1000)]);
        if (i % 2 === 0) await app.query('INSERT INTO events_rs (msg) VALUES ($1)', [`e${i}`]);
        if (i % 50 === 0) await app.query('SELECT count(*) FROM events_rs WHERE msg = $1', [`e${i}`]);
      }
    } finally {
      await app.close();
    }
    await primary.query("SELECT pg_create_physical_replication_slot('h16_forgotten', true)");
    await primary.query("INSERT INTO ticks (payload) SELECT repeat('f', 200) FROM generate_series(1, 3000)");

    const dir = mkdtempSync(join(tmpdir(), 'dbdiag-h16-replication-'));
    let agent: RunningAgent | undefined;
    let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
    try {
      writeFileSync(
        join(dir, 'dbdiag.json'),
        JSON.stringify({
          thresholds: {
            replicaLagWarningSeconds: 1,
            replicaLagCriticalSeconds: 600,
            replicaLagWindowSeconds: 2,
            inactiveSlotWarningBytes: 200_000,
            resolveAfterSeconds: 2,
          },
          targets: [
            { name: 'pg-primary', dsn: primary.dsn({ user: MONITOR }) },
            { name: 'pg-replica', dsn: pair.replica.dsn({ user: MONITOR }), replicaOf: 'pg-primary' },
          ],
        }),
      );
      const config = loadConfig(join(dir, 'dbdiag.json'), { listen: '127.0.0.1:0', intervalSeconds: 1 });
      agent = await startAgent(config, { log, runnerOptions: runnerOptionsFor(config, log) });
      prometheus = await startPrometheus({
        scrapeTarget: new URL(agent.url).host,
        job: 'dbdiag',
        scrapeIntervalSeconds: 1,
        ruleFiles: [
          rulesForTest(dir, {
            'dbdiag_replication_lag_seconds > 300': 'dbdiag_replication_lag_seconds > 600',
            'dbdiag_replication_lag_seconds > 30': 'dbdiag_replication_lag_seconds > 1',
            'dbdiag_replication_slot_retained_bytes > 1073741824':
              'dbdiag_replication_slot_retained_bytes > 200000',
          }),
        ],
      });
      const running = agent;
      const prom = prometheus;
      const findings = (target: string, kind: string) =>
        running.runners.find((r) => r.spec.name === target)?.findings.filter((f) => f.kind === kind) ?? [];
      const firing = async (alert: string) =>
        (
          await prom.api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts')
        ).alerts.filter((a) => a.labels.alertname === alert && a.state === 'firing');
      const within = async (what: string, ok: () => Promise<boolean> | boolean) => {
        const deadline = Date.now() + 60_000;
        while (!(await ok())) {
          if (Date.now() > deadline) throw new Error(`not within 60 s: ${what}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      };

      // read-split: the reads of orders_rs, not its UPDATE, nothing of events_rs
      await within(
        'the read-split finding',
        () => findings('pg-primary', 'read-split-candidate').length === 1,
      );
      const split = findings('pg-primary', 'read-split-candidate')[0];
      const named = ((split?.evidence.statements ?? []) as { fingerprint: string }[]).map(
        (x) => x.fingerprint,
      );
      expect(named).toEqual(['SELECT status FROM orders_rs WHERE id = $1']);
      // the staleness is the replica's measured lag: the primary writes meanwhile (the UPDATE of
      // the workload), so a streaming replica that keeps up may be a fraction of a second behind
      const staleness = split?.evidence.stalenessSeconds as number;
      expect(staleness).toBeGreaterThanOrEqual(0);
      expect(staleness).toBeLessThan(2);
      expect(((split?.evidence.tables ?? []) as { table: string }[]).map((t) => t.table)).toEqual([
        'orders_rs',
      ]);

      // the forgotten slot: a finding and its rule
      await within('the inactive-slot finding', () => findings('pg-primary', 'inactive-slot').length === 1);
      expect(findings('pg-primary', 'inactive-slot')[0]?.object).toBe('h16_forgotten');
      await within('DbdiagReplicationSlotInactive firing', async () =>
        (await firing('DbdiagReplicationSlotInactive')).some((a) => a.labels.slot === 'h16_forgotten'),
      );

      // replay paused while the primary writes: replica-lag on the replica's target, its rules fire
      await pair.replica.query('SELECT pg_wal_replay_pause()');
      try {
        await primary.query("INSERT INTO ticks (payload) SELECT 'p' FROM generate_series(1, 500)");
        await within('the replica-lag finding', () => findings('pg-replica', 'replica-lag').length === 1);
        expect(findings('pg-replica', 'replica-lag')[0]?.evidence).toMatchObject({
          paused: true,
          seenFrom: 'replica',
        });
        await within('DbdiagReplicaLagWarning firing for the replica', async () =>
          (await firing('DbdiagReplicaLagWarning')).some((a) => a.labels.target === 'pg-replica'),
        );
        // every panel of the replication dashboard has data now (a slot, a paused replica, both roles)
        const panels = panelQueries(loadDashboards().filter((d) => d.uid === 'dbdiag-replication')).map(
          (q) => ({
            ...q,
            expr: substituteVariables(q.expr, { target: '(pg-primary|pg-replica)' }),
          }),
        );
        expect(panels.length).toBeGreaterThan(5);
        let empty = panels;
        await within('every replication panel query returns data', async () => {
          const results = await Promise.all(
            empty.map(async (q) => ({ q, n: (await prom.query(q.expr)).length })),
          );
          empty = results.filter((r) => r.n === 0).map((r) => r.q);
          return empty.length === 0;
        }).catch((error: unknown) => {
          throw new Error(
            `${String(error)}: ${empty.map((q) => `${q.panel} ${q.refId}: ${q.expr}`).join('; ')}`,
          );
        });
        await within('DbdiagReplicaLagCritical firing (lag growing)', async () =>
          (await firing('DbdiagReplicaLagCritical')).some((a) => a.labels.target === 'pg-replica'),
        );
      } finally {
        await pair.replica.query('SELECT pg_wal_replay_resume()');
      }
      await primary.query("SELECT pg_drop_replication_slot('h16_forgotten')");
      await within(
        'the findings resolved and the alerts cleared',
        async () =>
          findings('pg-replica', 'replica-lag').length === 0 &&
          findings('pg-primary', 'inactive-slot').length === 0 &&
          (await firing('DbdiagReplicaLagWarning')).length === 0 &&
          (await firing('DbdiagReplicationSlotInactive')).length === 0,
      );
    } finally {
      await prometheus?.stop();
      await agent?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
