import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import { rootLogger } from '../../../agent/log.js';
import { type RunningAgent, startAgent } from '../../../agent/runtime/agent.js';
import { runnerOptionsFor } from '../../../agent/runtime/runner-options.js';
import { startLocalMariadb, type TestMysqlServer } from '../../support/mysql.js';
import { type PgBouncer, startPgBouncer } from '../../support/pgbouncer.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import {
  loadDashboards,
  loadRules,
  type PanelQuery,
  panelQueries,
  panelsOf,
  RULES_FILE,
  type RunningPrometheus,
  regexEscape,
  startPrometheus,
  substituteVariables,
  variableExpr,
} from '../../support/prometheus.js';

// A real Prometheus scrapes a real agent that samples a real PostgreSQL (behind PgBouncer) and
// a real MariaDB, both in the state of the incident dbdiag is built around: every connection
// slot taken, and an un-indexed "work order history details" table JOINed over and over (a
// sequential scan each time). Then every query of every dashboard panel is asked of
// Prometheus, with Grafana's variables filled in: each must return at least one series.

const PG_TARGET = 'plant-pg';
const MARIADB_TARGET = 'plant-mariadb';
const MAX_CONNECTIONS = 20;
/** as Grafana's $__rate_interval would be with a 1 s scrape interval, rounded up */
const VARIABLES = {
  target: `(${[PG_TARGET, MARIADB_TARGET].map(regexEscape).join('|')})`,
  __rate_interval: '15s',
  __interval: '5s',
  __range: '1m',
};
/** how long the panels have to fill up once the fault is in place */
const DATA_DEADLINE_MS = 60_000;

const log = rootLogger.child({ component: 'test-prometheus' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `step` over and over until stop() (errors after the stop are expected and ignored). */
function loop(step: (i: number) => Promise<unknown>, pauseMs: number) {
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      try {
        await step(i);
      } catch (error) {
        if (!stopped) log.warn({ err: error }, 'workload step failed');
      }
      await sleep(pauseMs);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

async function pgClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  return client;
}

// ------------------------------------------------------------------ PostgreSQL 15 + PgBouncer

const PG_SCHEMA = `
  CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
  CREATE ROLE app LOGIN;
  CREATE TABLE work_orders (id int PRIMARY KEY, status text NOT NULL);
  INSERT INTO work_orders SELECT g, 'open' FROM generate_series(1, 2000) g;
  -- ~10 MB, more than a quarter of shared_buffers: scans go through a small ring buffer, so the
  -- JOIN keeps reading it from outside the cache. No index on work_order_id: the fault.
  CREATE TABLE wo_history_details AS
    SELECT g AS id, 1 + g % 2000 AS work_order_id, repeat('x', 200) AS detail FROM generate_series(1, 40000) g;
  ALTER TABLE wo_history_details ADD PRIMARY KEY (id);
  ANALYZE;
  GRANT SELECT, UPDATE ON ALL TABLES IN SCHEMA public TO app;
`;

const JOIN_SQL = `SELECT w.id, w.status, count(d.id) AS details
  FROM work_orders w JOIN wo_history_details d ON d.work_order_id = w.id
  WHERE w.id = $1 GROUP BY w.id, w.status`;

/** Opens connections as `app` until the server refuses one (53300): every ordinary slot taken. */
async function fillPostgres(server: PostgresServer): Promise<pg.Client[]> {
  const held: pg.Client[] = [];
  for (;;) {
    try {
      held.push(await pgClient(server.url({ user: 'app' })));
    } catch (error) {
      if ((error as { code?: string }).code === '53300') return held;
      throw error;
    }
  }
}

// ------------------------------------------------------------------ MariaDB

const MARIADB_SCHEMA = `
  SET SESSION max_recursive_iterations = 100000;
  CREATE DATABASE plant;
  CREATE TABLE plant.work_orders (id INT PRIMARY KEY, status VARCHAR(20) NOT NULL) ENGINE=InnoDB;
  INSERT INTO plant.work_orders WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 2000)
    SELECT n, 'open' FROM s;
  CREATE TABLE plant.wo_history_details (
    id INT PRIMARY KEY, work_order_id INT NOT NULL, detail VARCHAR(255) NOT NULL) ENGINE=InnoDB;
  INSERT INTO plant.wo_history_details WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 20000)
    SELECT n, 1 + n % 2000, REPEAT('x', 200) FROM s;
  ANALYZE TABLE plant.work_orders, plant.wo_history_details;
  CREATE USER 'app'@'%';
  GRANT SELECT, UPDATE ON plant.* TO 'app'@'%';
`;

const MARIADB_JOIN_SQL = `SELECT w.id, w.status, COUNT(d.id) AS details
  FROM plant.work_orders w JOIN plant.wo_history_details d ON d.work_order_id = w.id
  WHERE w.id = ? GROUP BY w.id, w.status`;

/** Opens connections as `app` until the server refuses one (ER_CON_COUNT_ERROR). */
async function fillMariadb(server: TestMysqlServer): Promise<mysql.Connection[]> {
  const held: mysql.Connection[] = [];
  for (;;) {
    try {
      held.push(await createConnection({ uri: server.urlFor('app', '', 'plant') }));
    } catch (error) {
      if ((error as { errno?: number }).errno === 1040) return held;
      throw error;
    }
  }
}

// ------------------------------------------------------------------ the test

/** Every dashboard but the replication one (its series need a replica pair: see its own test). */
const incidentDashboards = () => loadDashboards().filter((d) => !(d.tags ?? []).includes('replication'));

describe('dashboards and alert rules against a real Prometheus scraping a real agent', () => {
  let postgres: PostgresServer;
  let bouncer: PgBouncer;
  let mariadb: TestMysqlServer;
  let agent: RunningAgent;
  let prometheus: RunningPrometheus;
  let configDir: string;
  let pgAdmin: pg.Client | undefined;
  const pgHeld: pg.Client[] = [];
  const myHeld: mysql.Connection[] = [];
  const workloads: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    // PostgreSQL with a small cache and few slots, its statements over 5 ms in a log file.
    [postgres, mariadb] = await Promise.all([
      startPostgres({
        version: 15,
        settings: {
          max_connections: MAX_CONNECTIONS,
          superuser_reserved_connections: 3,
          shared_buffers: '4MB',
          logging_collector: 'on',
          log_directory: 'log',
          log_filename: 'postgresql.log',
          log_line_prefix: '%m [%p] ',
          log_min_duration_statement: 5,
        },
        needs: { control: true },
      }),
      startLocalMariadb({ maxConnections: MAX_CONNECTIONS, slowLog: true, performanceSchema: true }),
    ]);
    const admin = await pgClient(postgres.url());
    pgAdmin = admin;
    await admin.query(PG_SCHEMA);
    const dataDir = (await admin.query<{ d: string }>('SELECT current_setting($1) AS d', ['data_directory']))
      .rows[0]!.d;
    await mariadb.exec(MARIADB_SCHEMA);
    bouncer = await startPgBouncer(postgres, { poolSize: 2, poolMode: 'session', database: 'postgres' });

    configDir = mkdtempSync(join(tmpdir(), 'dbdiag-prometheus-test-'));
    const configFile = join(configDir, 'dbdiag.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        tablesIntervalSeconds: 2,
        settingsIntervalSeconds: 30,
        // findings within the test's minute, not after production-sized windows
        thresholds: { saturationWindowSeconds: 3, cacheHitSamples: 2, resolveAfterSeconds: 120 },
        targets: [
          {
            name: PG_TARGET,
            dsn: postgres.url(),
            poolerDsn: bouncer.adminUrl(),
            slowLog: {
              path: join(dataDir, 'log', 'postgresql.log'),
              format: 'postgres-stderr',
              linePrefix: '%m [%p] ',
            },
          },
          {
            name: MARIADB_TARGET,
            dsn: mariadb.url,
            slowLog: { path: mariadb.slowLogPath!, format: 'mysql' },
          },
        ],
      }),
    );
    const config = loadConfig(configFile, { listen: '127.0.0.1:0', intervalSeconds: 1 });
    agent = await startAgent(config, { log, runnerOptions: runnerOptionsFor(config, log) });
    prometheus = await startPrometheus({
      scrapeTarget: new URL(agent.url).host,
      job: 'dbdiag',
      scrapeIntervalSeconds: 1,
      ruleFiles: [RULES_FILE],
    });

    // The workload: the sequential-scan JOIN over and over, point reads and updates beside it.
    const pgJoin = await pgClient(postgres.url({ user: 'app' }));
    const pgOltp = await pgClient(postgres.url({ user: 'app' }));
    pgHeld.push(pgJoin, pgOltp);
    workloads.push(
      loop((i) => pgJoin.query(JOIN_SQL, [1 + ((i * 7) % 2000)]), 10),
      loop(async (i) => {
        await pgOltp.query('SELECT status FROM work_orders WHERE id = $1', [1 + (i % 2000)]);
        await pgOltp.query('UPDATE work_orders SET status = $2 WHERE id = $1', [2 + (i % 1999), `s${i % 5}`]);
      }, 20),
    );
    const myJoin = await createConnection({ uri: mariadb.urlFor('app', '', 'plant') });
    const myOltp = await createConnection({ uri: mariadb.urlFor('app', '', 'plant') });
    myHeld.push(myJoin, myOltp);
    workloads.push(
      loop((i) => myJoin.query(MARIADB_JOIN_SQL, [1 + ((i * 7) % 2000)]), 10),
      loop(async (i) => {
        await myOltp.query('SELECT status FROM plant.work_orders WHERE id = ?', [1 + (i % 2000)]);
        await myOltp.query('UPDATE plant.work_orders SET status = ? WHERE id = ?', [
          `s${i % 5}`,
          2 + (i % 1999),
        ]);
      }, 20),
    );

    // A session left idle inside a transaction, on both servers.
    const pgIdle = await pgClient(postgres.url({ user: 'app' }));
    await pgIdle.query("BEGIN; UPDATE work_orders SET status = 'held' WHERE id = 1");
    const myIdle = await createConnection({ uri: mariadb.urlFor('app', '', 'plant') });
    await myIdle.query('START TRANSACTION');
    await myIdle.query("UPDATE plant.work_orders SET status = 'held' WHERE id = 1");
    pgHeld.push(pgIdle);
    myHeld.push(myIdle);

    // PgBouncer's two server connections busy for the whole test, two more clients queued.
    for (let i = 0; i < 4; i++) {
      const client = await pgClient(bouncer.url());
      pgHeld.push(client);
      void client.query(i < 2 ? 'SELECT pg_sleep(600)' : 'SELECT 1').catch(() => undefined);
    }

    // Saturation: every remaining ordinary slot taken by the application's account.
    await sleep(500);
    pgHeld.push(...(await fillPostgres(postgres)));
    myHeld.push(...(await fillMariadb(mariadb)));
  });

  afterAll(async () => {
    await Promise.all(workloads.map((w) => w.stop()));
    await prometheus?.stop();
    await agent?.stop();
    // PgBouncer's shutdown waits for its sessions: end the sleeping ones first.
    await pgAdmin
      ?.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND pid <> pg_backend_pid()",
      )
      .catch(() => undefined);
    await Promise.all([...pgHeld, ...(pgAdmin ? [pgAdmin] : [])].map((c) => c.end().catch(() => undefined)));
    await Promise.all(myHeld.map((c) => c.end().catch(() => undefined)));
    await bouncer?.stop();
    await postgres?.stop();
    await mariadb?.destroy();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  it('fills every panel query of every dashboard with at least one series', async () => {
    // the replication dashboard needs a primary + replica pair: its panels are proven on real
    // pairs in test/integration/postgres/replication.test.ts
    const queries: PanelQuery[] = panelQueries(incidentDashboards()).map((q) => ({
      ...q,
      expr: substituteVariables(q.expr, VARIABLES),
    }));
    expect(queries.length).toBeGreaterThan(30);

    // Poll until everything has data (rates need two scrapes, per-table counters two tables runs).
    const deadline = Date.now() + DATA_DEADLINE_MS;
    let empty: PanelQuery[] = queries;
    for (;;) {
      const results = await Promise.all(
        empty.map(async (q) => ({ q, series: await prometheus.query(q.expr) })),
      );
      empty = results.filter((r) => r.series.length === 0).map((r) => r.q);
      if (empty.length === 0 || Date.now() > deadline) break;
      await sleep(2000);
    }
    expect(
      empty.map((q) => `${q.dashboard} / panel "${q.panel}" / query ${q.refId}: ${q.expr}`),
      'these panel queries returned no series',
    ).toEqual([]);
  });

  it('shows the incident on the Overview: saturation 100 %, and the findings that explain it with their runbook kinds', async () => {
    const overview = loadDashboards().find((d) => d.uid === 'dbdiag-overview')!;
    const panelExpr = (title: string) =>
      substituteVariables(panelsOf(overview).find((p) => p.title === title)!.targets![0]!.expr, VARIABLES);
    const wanted = [PG_TARGET, MARIADB_TARGET].flatMap((t) => [
      `${t} pool-saturation critical`,
      `${t} missing-index ${t === PG_TARGET ? 'public' : 'plant'}.wo_history_details(work_order_id)`,
    ]);
    const deadline = Date.now() + DATA_DEADLINE_MS;
    let rows: string[] = [];
    for (;;) {
      // severity of a missing index is the advisor's call; saturation at 100 % is critical
      rows = (await prometheus.query(panelExpr('Active findings'))).map((s) =>
        (s.metric.kind === 'missing-index'
          ? [s.metric.target, s.metric.kind, s.metric.object]
          : [s.metric.target, s.metric.kind, s.metric.severity]
        ).join(' '),
      );
      if (wanted.every((w) => rows.includes(w)) || Date.now() > deadline) break;
      await sleep(1000);
    }
    expect(rows).toEqual(expect.arrayContaining(wanted));
    const saturation = await prometheus.query(panelExpr('Connection saturation'));
    expect(Object.fromEntries(saturation.map((s) => [s.metric.target, Number(s.value[1])]))).toEqual({
      [PG_TARGET]: 1,
      [MARIADB_TARGET]: 1,
    });
  });

  it('offers both targets in the target variable', async () => {
    for (const d of incidentDashboards()) {
      const variable = d.templating.list.find((v) => v.name === 'target')!;
      const series = await prometheus.query(variableExpr(variable)!);
      expect(new Set(series.map((s) => s.metric.target)), d.title).toEqual(
        new Set([PG_TARGET, MARIADB_TARGET]),
      );
    }
  });

  it('evaluates every alert rule without error and holds the saturation alerts for both targets', async () => {
    const data = await prometheus.api<{
      groups: { rules: { name: string; health: string; lastError?: string; type: string }[] }[];
    }>('/api/v1/rules');
    const rules = data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual(
      loadRules()
        .map((r) => r.alert)
        .sort(),
    );
    expect(
      rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
    ).toEqual([]);

    const alerts = await prometheus.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
      '/api/v1/alerts',
    );
    const saturated = alerts.alerts
      .filter((a) => a.labels.alertname === 'DbdiagConnectionSaturationCritical')
      .map((a) => a.labels.target);
    expect(new Set(saturated)).toEqual(new Set([PG_TARGET, MARIADB_TARGET]));
    expect(
      alerts.alerts.filter((a) => ['DbdiagTargetDown', 'DbdiagAgentDown'].includes(a.labels.alertname ?? '')),
    ).toEqual([]);
  });
});
