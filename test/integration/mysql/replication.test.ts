import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replicationBroken } from '../../../agent/advisors/replication-broken.js';
import { loadConfig } from '../../../agent/config/load.js';
import { DEFAULT_THRESHOLDS } from '../../../agent/config/thresholds.js';
import type { EngineSession, SamplingLimits, TargetSpec } from '../../../agent/engines/engine.js';
import { mysqlDriver } from '../../../agent/engines/mysql/driver.js';
import { mysqlGrants } from '../../../agent/engines/mysql/grants.js';
import { rootLogger } from '../../../agent/log.js';
import { type RunningAgent, startAgent } from '../../../agent/runtime/agent.js';
import { runnerOptionsFor } from '../../../agent/runtime/runner-options.js';
import { loadSandboxEngine } from '../../../agent/sandbox/engines.js';
import type { SandboxReplicaPair } from '../../../agent/sandbox/server.js';
import type { ReplicationSignals } from '../../../agent/snapshot/signals.js';
import type { Snapshot } from '../../../agent/snapshot/snapshot.js';
import { rulesForTest, startPrometheus } from '../../support/prometheus.js';
import { untilValue as until } from '../../support/until.js';

// A real MariaDB primary with a GTID replica (two mariadbd from the installed binaries): the
// replication probe as the account `dbdiag grants` creates, on both. The replica's SQL thread
// is stopped for real while the primary writes, and started again; a row written on the
// replica makes the primary's insert of the same key fail there (an apply error), fixed by hand.

const LIMITS: SamplingLimits = {
  statementTimeoutMs: 5000,
  topStatements: 50,
  topTables: 50,
  topIndexes: 100,
};
const log = rootLogger.child({ component: 'test' });
const MONITOR = 'h16_repl_mon';
const PASSWORD = 'h16-repl-pw';

function target(name: string, dsn: string): TargetSpec {
  return { name, engine: 'mysql', dsn, poolerDsn: null };
}

async function replication(session: EngineSession): Promise<ReplicationSignals> {
  const outcome = await session.sample('replication');
  if (outcome.status !== 'ok') throw new Error(`replication probe: ${outcome.reason}`);
  const signals = outcome.signals.replication;
  if (!signals) throw new Error('replication probe returned no signals');
  return signals;
}

function asSnapshot(r: ReplicationSignals): Snapshot {
  return {
    target: 'maria-replica',
    engine: 'mysql',
    at: r.at,
    up: true,
    downReason: null,
    serverVersion: '10.11',
    signals: { replication: r },
    probes: {},
  };
}

describe('MariaDB replication probe on a real primary + GTID replica', () => {
  let pair: SandboxReplicaPair;
  let onPrimary: EngineSession;
  let onReplica: EngineSession;

  beforeAll(async () => {
    const startPair = (await loadSandboxEngine('mysql')).startReplicaPair;
    if (!startPair) throw new Error('the MariaDB sandbox has no replica pair');
    pair = await startPair({ purpose: 'test', maxConnections: 30, statementStats: false });
    // made on the primary, replicated to the replica like any other account
    await pair.primary.query(
      `${mysqlGrants({ role: MONITOR, databases: ['plant'] })}
       ALTER USER '${MONITOR}'@'%' IDENTIFIED BY '${PASSWORD}' ACCOUNT UNLOCK;
       CREATE DATABASE plant;
       CREATE TABLE plant.ticks (id INT PRIMARY KEY, payload VARCHAR(200)) ENGINE=InnoDB;`,
    );
    await until(
      () =>
        pair.replica.query(
          `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'plant' AND TABLE_NAME = 'ticks'`,
        ),
      (rows) => rows.length === 1,
      'the monitoring account and the table on the replica',
    );
    const dsn = (server: SandboxReplicaPair['primary']) =>
      server.dsn({ user: MONITOR, password: PASSWORD, database: 'plant' });
    onPrimary = await mysqlDriver.connect(target('maria-primary', dsn(pair.primary)), LIMITS, log);
    onReplica = await mysqlDriver.connect(target('maria-replica', dsn(pair.replica)), LIMITS, log);
    await onPrimary.sample('privileges');
    await onReplica.sample('privileges');
  }, 120_000);

  afterAll(async () => {
    await onPrimary?.close();
    await onReplica?.close();
    await pair?.destroy();
  });

  it('says which server is which, and an idle caught-up replica has zero lag', async () => {
    const primary = await replication(onPrimary);
    expect(primary).toMatchObject({ role: 'primary', replicas: [], slots: [], self: null });
    const replica = await until(
      () => replication(onReplica),
      (r) => r.self?.lagBytes === 0 && r.self.lagSeconds === 0,
      'the replica caught up',
    );
    expect(replica.role).toBe('replica');
    expect(replica.self).toEqual({
      lagBytes: 0,
      lagSeconds: 0,
      paused: false,
      receiving: true,
      lastError: null,
      conflicts: null,
    });
  });

  it('shows lag while the SQL thread is stopped and the primary writes, and none once it runs again', async () => {
    await pair.replica.query('STOP REPLICA SQL_THREAD');
    try {
      await pair.primary.query(
        "INSERT INTO plant.ticks SELECT seq, REPEAT('y', 100) FROM plant.seq_1_to_1000",
      );
      const first = await until(
        () => replication(onReplica),
        (r) => (r.self?.lagBytes ?? 0) > 0,
        'replica lag while the SQL thread is stopped',
      );
      expect(first.self).toMatchObject({ paused: true, receiving: true, lastError: null });
      // the lag counts from the first sample that saw the backlog, and grows with wall time
      await new Promise((r) => setTimeout(r, 1500));
      const later = await replication(onReplica);
      expect(later.self?.lagSeconds).toBeGreaterThan(1);
      expect(later.self?.lagBytes).toBe(first.self?.lagBytes);
    } finally {
      await pair.replica.query('START REPLICA SQL_THREAD');
    }
    const caughtUp = await until(
      () => replication(onReplica),
      (r) => r.self?.lagBytes === 0 && r.self.lagSeconds === 0,
      'replica lag after START REPLICA SQL_THREAD',
    );
    expect(caughtUp.self?.paused).toBe(false);
    expect(await pair.replica.query('SELECT COUNT(*) AS n FROM plant.ticks')).toEqual([{ n: 1000 }]);
  });

  it('reports an apply error as replication-broken, and clears once the row is fixed and replication started', async () => {
    await pair.replica.query("INSERT INTO plant.ticks VALUES (5001, 'written on the replica')");
    await pair.primary.query("INSERT INTO plant.ticks VALUES (5001, 'written on the primary')");
    const broken = await until(
      () => replication(onReplica),
      (r) => r.self?.lastError !== null,
      'the apply error on the replica',
    );
    expect(broken.self?.lastError).toMatch(/^SQL error 1062: .*Duplicate entry '5001'/);
    expect(broken.self?.paused).toBe(false);
    const [finding] = replicationBroken({
      target: 'maria-replica',
      engine: 'mysql',
      history: [asSnapshot(broken)],
      rates: { cache: null, statements: null, tables: null },
      thresholds: DEFAULT_THRESHOLDS,
      runbookBaseUrl: 'http://agent/runbooks',
    });
    expect(finding?.severity).toBe('critical');
    expect(finding?.summary).toContain("Duplicate entry '5001'");

    // the fix from the runbook: remove the replica's own row, start replication again
    await pair.replica.query('DELETE FROM plant.ticks WHERE id = 5001');
    await pair.replica.query('START REPLICA');
    const fixed = await until(
      () => replication(onReplica),
      (r) => r.self?.lastError === null && r.self.lagBytes === 0,
      'replication after the fix',
    );
    expect(fixed.self).toMatchObject({ receiving: true, paused: false, lagSeconds: 0 });
    expect(await pair.replica.query('SELECT payload FROM plant.ticks WHERE id = 5001')).toEqual([
      { payload: 'written on the primary' },
    ]);
  });

  it('a real agent and a real Prometheus: the replica linked to its primary, lag and an apply error raise findings and fire their rules, which clear after the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbdiag-h16-maria-replication-'));
    let agent: RunningAgent | undefined;
    let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
    const dsn = (server: SandboxReplicaPair['primary']) =>
      server.dsn({ user: MONITOR, password: PASSWORD, database: 'plant' });
    try {
      writeFileSync(
        join(dir, 'dbdiag.json'),
        JSON.stringify({
          thresholds: { replicaLagWarningSeconds: 1, replicaLagWindowSeconds: 2, resolveAfterSeconds: 2 },
          targets: [
            { name: 'maria-primary', dsn: dsn(pair.primary) },
            { name: 'maria-replica', dsn: dsn(pair.replica), replicaOf: 'maria-primary' },
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
          }),
        ],
      });
      const running = agent;
      const prom = prometheus;
      const findings = (kind: string) =>
        running.runners
          .find((r) => r.spec.name === 'maria-replica')
          ?.findings.filter((f) => f.kind === kind) ?? [];
      const firing = async (alert: string) =>
        (
          await prom.api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts')
        ).alerts
          .filter((a) => a.labels.alertname === alert && a.state === 'firing')
          .map((a) => `${a.labels.target}/${a.labels.replica ?? ''}`);
      const within = async (what: string, ok: () => Promise<boolean> | boolean) => {
        const deadline = Date.now() + 60_000;
        while (!(await ok())) {
          if (Date.now() > deadline) throw new Error(`not within 60 s: ${what}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      };

      // linked: the primary's target carries the replica's lag, labelled with the replica's target
      await within(
        'the linked series on the primary',
        async () =>
          (await prom.query('dbdiag_replication_lag_seconds{target="maria-primary",replica="maria-replica"}'))
            .length === 1,
      );

      await pair.replica.query('STOP REPLICA SQL_THREAD');
      try {
        await pair.primary.query("INSERT INTO plant.ticks SELECT 10000 + seq, 'lag' FROM plant.seq_1_to_200");
        await within('the replica-lag finding', () => findings('replica-lag').length === 1);
        expect(findings('replica-lag')[0]?.fix?.statements[0]).toBe('START REPLICA SQL_THREAD;');
        await within('DbdiagReplicaLagWarning on the replica and on its primary', async () => {
          const alerts = await firing('DbdiagReplicaLagWarning');
          return (
            alerts.includes('maria-replica/maria-replica') && alerts.includes('maria-primary/maria-replica')
          );
        });
      } finally {
        await pair.replica.query('START REPLICA SQL_THREAD');
      }

      await pair.replica.query("INSERT INTO plant.ticks VALUES (6001, 'written on the replica')");
      await pair.primary.query("INSERT INTO plant.ticks VALUES (6001, 'written on the primary')");
      await within('the replication-broken finding', () => findings('replication-broken').length === 1);
      expect(findings('replication-broken')[0]?.severity).toBe('critical');
      await within('DbdiagReplicationBroken firing', async () =>
        (await firing('DbdiagReplicationBroken')).includes('maria-replica/'),
      );
      await pair.replica.query('DELETE FROM plant.ticks WHERE id = 6001');
      await pair.replica.query('START REPLICA');
      await within(
        'the findings resolved and the alerts cleared',
        async () =>
          findings('replication-broken').length === 0 &&
          findings('replica-lag').length === 0 &&
          (await firing('DbdiagReplicationBroken')).length === 0 &&
          (await firing('DbdiagReplicaLagWarning')).length === 0,
      );
    } finally {
      await prometheus?.stop();
      await agent?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
