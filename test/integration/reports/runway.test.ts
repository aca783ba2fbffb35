import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSession, ProbeOutcome, SamplingLimits } from '../../../agent/engines/engine.js';
import { connectMysql } from '../../../agent/engines/mysql/driver.js';
import { postgresDriver } from '../../../agent/engines/postgres/driver.js';
import { XID_STOP_AGE } from '../../../agent/engines/postgres/probes/runway.js';
import { rootLogger } from '../../../agent/log.js';
import type { Rates } from '../../../agent/snapshot/rates.js';
import type { RunwaySignals } from '../../../agent/snapshot/signals.js';
import type { Snapshot } from '../../../agent/snapshot/snapshot.js';
import { HourlyRollupBuilder } from '../../../agent/state/rollup.js';

// What runs out, read for real on the shared servers (PostgreSQL 15 at 5432, MariaDB 10.11 at
// 3306): a serial column and an AUTO_INCREMENT column pushed close to their type's maximum,
// transaction IDs used between two samples, and what a pg_monitor-only role may see of
// sequences (nothing, until a GRANT) — then the hour's rollup keeps it for the reports.

const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL_ROOT = 'mysql://root@127.0.0.1:3306/';
const NAME = `h13_runway_${process.pid}`;
const LIMITS: SamplingLimits = { statementTimeoutMs: 5000, topStatements: 20, topTables: 20, topIndexes: 50 };
const log = rootLogger.child({ component: 'test' });

function runway(outcome: ProbeOutcome): { runway: RunwaySignals; partial: string | undefined } {
  if (outcome.status !== 'ok' || !outcome.signals.runway)
    throw new Error(`runway: ${JSON.stringify(outcome)}`);
  return { runway: outcome.signals.runway, partial: outcome.partial };
}

function snapshotOf(signals: RunwaySignals, at: number): Snapshot {
  return {
    target: 'pg',
    engine: 'postgres',
    at,
    up: true,
    downReason: null,
    serverVersion: '15',
    signals: { runway: signals },
    probes: {},
  };
}

describe('runway probe on PostgreSQL', () => {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  let db: pg.Client;
  const url = (user: string) => `postgres://${user}@127.0.0.1:5432/${NAME}`;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${NAME}`);
    await admin.query(`DROP ROLE IF EXISTS ${NAME}_mon`);
    await admin.query(`CREATE DATABASE ${NAME}`);
    await admin.query(`CREATE ROLE ${NAME}_mon LOGIN IN ROLE pg_monitor`);
    db = new pg.Client({ connectionString: url('postgres') });
    await db.connect();
    await db.query('CREATE TABLE orders (id serial PRIMARY KEY, note text)');
    await db.query(`SELECT setval('orders_id_seq', 2147000000)`);
    await db.query(`INSERT INTO orders (note) VALUES ('a'), ('b')`);
    await db.query('CREATE SEQUENCE never_called');
  });

  afterAll(async () => {
    await db?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${NAME}_mon`);
    await admin.end();
  });

  it('sees a serial column close to int4 maximum and the transaction IDs used between two samples; the hour keeps both', async () => {
    const session: EngineSession = await postgresDriver.connect(
      { name: 'pg', engine: 'postgres', dsn: url('postgres'), poolerDsn: null },
      LIMITS,
      log,
    );
    try {
      const first = runway(await session.sample('runway'));
      expect(first.partial).toBeUndefined();
      expect(first.runway.counters[0]).toEqual({
        name: 'public.orders_id_seq',
        column: 'public.orders.id',
        value: 2147000002,
        max: 2_147_483_647,
      });
      expect(first.runway.counters.some((c) => c.name === 'public.never_called')).toBe(false);
      const xids = first.runway.transactionIds!;
      expect(xids.limit).toBe(XID_STOP_AGE);
      expect(xids.age).toBeGreaterThan(0);
      for (let i = 0; i < 5; i += 1) await db.query('SELECT pg_current_xact_id()'); // 5 transactions, one ID each
      const second = runway(await session.sample('runway'));
      expect(second.runway.transactionIds!.next - xids.next).toBeGreaterThanOrEqual(5);

      const hour = new HourlyRollupBuilder('pg', {
        topStatements: 10,
        topTables: 10,
        saturationWarningRatio: 0.8,
        intervalSeconds: 15,
      });
      const at = Date.UTC(2026, 10, 29, 10);
      const empty: Rates = { cache: null, statements: null, tables: null };
      hour.observe(snapshotOf(first.runway, at), empty);
      hour.observe(snapshotOf(second.runway, at + 60_000), empty);
      const extra = hour.current()?.extra;
      expect(extra?.transactionIds?.next).toBe(second.runway.transactionIds!.next);
      expect(extra?.counters[0]).toEqual({
        name: 'public.orders_id_seq',
        value: 2147000002,
        max: 2_147_483_647,
      });
    } finally {
      await session.close();
    }
  });

  it('a pg_monitor-only role sees no sequence value: counted as hidden with the GRANT, shown once granted', async () => {
    const session = await postgresDriver.connect(
      { name: 'pg-mon', engine: 'postgres', dsn: url(`${NAME}_mon`), poolerDsn: null },
      LIMITS,
      log,
    );
    try {
      const before = runway(await session.sample('runway'));
      expect(before.runway.counters).toEqual([]);
      expect(before.runway.hidden).toBe(2);
      expect(before.partial).toContain(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA <schema> TO ${NAME}_mon`);
      expect(before.runway.transactionIds?.age).toBeGreaterThan(0); // pg_database needs no grant
      await db.query(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${NAME}_mon`);
      const after = runway(await session.sample('runway'));
      expect(after.runway.hidden).toBe(0);
      expect(after.partial).toBeUndefined();
      expect(after.runway.counters[0]?.name).toBe('public.orders_id_seq');
    } finally {
      await session.close();
    }
  });
});

describe('runway probe on MariaDB', () => {
  let root: mysql.Connection;

  beforeAll(async () => {
    root = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    await root.query(`DROP DATABASE IF EXISTS ${NAME}`);
    await root.query(`CREATE DATABASE ${NAME}`);
    await root.query(
      `CREATE TABLE ${NAME}.tickets (id SMALLINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, note INT) AUTO_INCREMENT = 65000`,
    );
    await root.query(`INSERT INTO ${NAME}.tickets (note) VALUES (1), (2)`);
    await root.query(`CREATE TABLE ${NAME}.roomy (id BIGINT AUTO_INCREMENT PRIMARY KEY, note INT)`);
    await root.query(`INSERT INTO ${NAME}.roomy (note) VALUES (1)`);
  });

  afterAll(async () => {
    await root?.query(`DROP DATABASE IF EXISTS ${NAME}`);
    await root?.end();
  });

  it('sees an AUTO_INCREMENT column close to its unsigned SMALLINT maximum, first', async () => {
    const session = await connectMysql(
      { name: 'maria', engine: 'mysql', dsn: MYSQL_ROOT, poolerDsn: null },
      LIMITS,
      log,
    );
    try {
      const { runway: r } = runway(await session.sample('runway'));
      expect(r.transactionIds).toBeNull();
      expect(r.counters[0]).toEqual({
        name: `${NAME}.tickets.id`,
        column: `${NAME}.tickets.id`,
        value: 65001,
        max: 65_535,
      });
      expect(r.counters.find((c) => c.name === `${NAME}.roomy.id`)).toMatchObject({ value: 1, max: 2 ** 63 });
    } finally {
      await session.close();
    }
  });
});
