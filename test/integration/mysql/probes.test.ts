import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSession, SamplingLimits } from '../../../agent/engines/engine.js';
import { connectMysql, type MysqlSession } from '../../../agent/engines/mysql/driver.js';
import { ProbeError } from '../../../agent/errors.js';
import { rootLogger } from '../../../agent/log.js';
import type {
  CacheSignals,
  ConnectionSignals,
  StatementSignals,
  TableSignals,
} from '../../../agent/snapshot/signals.js';
import type { ProbeName } from '../../../agent/snapshot/snapshot.js';
import { controllableMysqlServers, createMonitorUser, type TestMysqlServer } from '../../support/mysql.js';
import { probeContracts } from '../engines/probe-contracts.js';

// The MySQL/MariaDB probes against real servers, faults made for real. The same suite runs on
// every server the harness can offer: the MariaDB from this machine's binaries always, MySQL 8
// when a Docker engine answers.

const MAX_CONNECTIONS = 20;
const LIMITS: SamplingLimits = {
  statementTimeoutMs: 2000,
  topStatements: 50,
  topTables: 20,
  topIndexes: 100,
};
const log = rootLogger.child({ test: 'mysql-probes' });
// Exact slot counts and a performance_schema-off server need servers the harness configures.
const kinds = await controllableMysqlServers();

let targetSeq = 0;
async function connect(url: string, limits: SamplingLimits = LIMITS): Promise<MysqlSession> {
  targetSeq += 1;
  return connectMysql({ name: `t${targetSeq}`, engine: 'mysql', dsn: url, poolerDsn: null }, limits, log);
}

async function sample<K extends 'connections' | 'statements' | 'cache' | 'tables'>(
  session: EngineSession,
  probe: K,
): Promise<
  K extends 'connections'
    ? ConnectionSignals
    : K extends 'statements'
      ? StatementSignals
      : K extends 'cache'
        ? CacheSignals
        : TableSignals
> {
  const outcome = await session.sample(probe as ProbeName);
  if (outcome.status !== 'ok') throw new Error(`${probe}: ${outcome.reason}`);
  const signals = outcome.signals[probe];
  if (!signals) throw new Error(`${probe} returned no signals`);
  return signals as never;
}

const saturation = (c: ConnectionSignals): number => c.used / (c.max - c.reserved);

describe.each(kinds)('MySQL/MariaDB probes on $label', (kind) => {
  let server: TestMysqlServer;
  let appUrl: string;
  let monitorUrl: string;
  let agent: MysqlSession;
  const held: mysql.Connection[] = [];

  /** runs `body` on a short-lived application session */
  async function app<T>(body: (c: mysql.Connection) => Promise<T>): Promise<void> {
    const c = await mysql.createConnection({ uri: appUrl });
    try {
      await body(c);
    } finally {
      await c.end();
    }
  }

  beforeAll(async () => {
    server = await kind.start({ maxConnections: MAX_CONNECTIONS, bufferPoolBytes: 8 * 1024 * 1024 });
    await server.exec(`
      DROP DATABASE IF EXISTS shop; CREATE DATABASE shop;
      CREATE TABLE shop.digits (d INT PRIMARY KEY);
      INSERT INTO shop.digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
      CREATE TABLE shop.orders (id INT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL, note VARCHAR(40),
        KEY ix_customer (customer_id), KEY ix_note (note(10)));
      INSERT INTO shop.orders (customer_id, note)
        SELECT a.d * 100 + b.d * 10 + c.d, CONCAT('order ', a.d, b.d, c.d) FROM shop.digits a, shop.digits b, shop.digits c;
      CREATE TABLE shop.order_lines (id INT PRIMARY KEY AUTO_INCREMENT, order_id INT NOT NULL,
        CONSTRAINT fk_order FOREIGN KEY (order_id) REFERENCES shop.orders (id));
      ANALYZE TABLE shop.orders;
      DROP USER IF EXISTS 'app'@'%'; CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw';
      GRANT SELECT, INSERT, UPDATE, DELETE, LOCK TABLES ON shop.* TO 'app'@'%';`);
    appUrl = server.urlFor('app', 'app-pw', 'shop');
    // The least-privilege account of README, plus SHOW VIEW so it can see table sizes and indexes.
    monitorUrl = await createMonitorUser(server);
    await server.exec(`GRANT SHOW VIEW ON *.* TO 'dbdiag'@'%'`);
    agent = await connect(monitorUrl);
  });

  afterAll(async () => {
    for (const c of held.splice(0)) await c.end().catch(() => undefined);
    await agent?.close();
    await server?.destroy();
  });

  it('reports the flavor it detected and the probes it runs', () => {
    expect(agent.server.flavor).toBe(kind.flavor);
    expect(agent.probes).toEqual([
      'privileges',
      'settings',
      'connections',
      'statements',
      'tables',
      'cache',
      'replication',
      'runway',
      'audit',
    ]);
  });

  // the contracts every engine keeps (test/integration/engines/probe-contracts.ts), first, on
  // this server
  probeContracts(() => ({
    engine: 'mysql',
    adminDsn: server.url,
    badLoginDsn: server.urlFor('dbdiag', 'wrong'),
    unknownDatabase: { dsn: `${server.urlFor('root', '')}nosuchdb`, name: 'nosuchdb' },
    badDsn: 'mysql://a:b@127.0.0.1:notaport/',
    run: (sql, params) => app((c) => c.query(sql, params)),
    resetStatements: async () => {
      await server.exec('TRUNCATE TABLE performance_schema.events_statements_summary_by_digest');
    },
    lookup: { sql: 'SELECT * FROM orders WHERE customer_id = ?', fingerprint: /WHERE `customer_id` = \?/ },
    agentDsn: monitorUrl,
    appDsn: appUrl,
    sessionsAtStart: 1, // the file's own agent session
    slots: { max: MAX_CONNECTIONS + 1, reserved: 1, setting: MAX_CONNECTIONS },
    ownSessionCountedActive: false,
    lockHolderInTransaction: false,
    faultTables: { idle: 'shop.orders', locked: 'shop.order_lines' },
    scan: {
      table: 'shop.orders',
      rows: 1000,
      // note is not indexed usefully for a LIKE with a leading wildcard: a full table scan each time.
      run: () =>
        app(async (c) => {
          for (let i = 0; i < 3; i++) await c.query(`SELECT id FROM orders WHERE note LIKE '%9${i}'`);
        }),
      fingerprint: /FROM `orders` WHERE `note` LIKE/i,
      exactCounts: false,
      check: (rate, stat) => {
        expect(rate).toMatchObject({ calls: 3, database: 'shop', noIndexUsedCalls: 3 });
        expect(rate.rowsExamined).toBeGreaterThanOrEqual(3000);
        expect(stat?.sample).toMatch(/^SELECT id FROM orders WHERE note LIKE '%9\d'$/);
      },
    },
    ownStatement: /dbdiag_|dbdiag:|max_statement_time|max_execution_time/i,
    catalog: {
      // the probe joins order_lines only if it is among the busiest: read it once
      prepare: () => app((c) => c.query('SELECT * FROM order_lines')),
      indexes: [
        { table: 'shop.orders', index: 'ix_note', columns: ['note(10)'], unique: false },
        { table: 'shop.orders', index: 'PRIMARY', columns: ['id'], primary: true, unique: true },
      ],
      tables: ['shop.orders'],
      foreignKey: {
        table: 'shop.order_lines',
        name: 'fk_order',
        columns: ['order_id'],
        referencedTable: 'shop.orders',
        referencedColumns: ['id'],
      },
      check: (tables) => {
        const orders = tables.tables.find((t) => t.table === 'shop.orders');
        expect(orders?.liveRows).toBeGreaterThan(500);
        expect(orders?.dataBytes).toBeGreaterThan(0);
      },
    },
    cache: {
      // ~32 MB of wide rows (about 5 per 16 KiB page) against an 8 MiB buffer pool: the first
      // rows are evicted by the time the last are written, so reading them again goes to disk.
      prepare: async () => {
        await server.exec(`
          CREATE TABLE shop.wide (id INT PRIMARY KEY, pad VARCHAR(3000) NOT NULL);
          INSERT INTO shop.wide SELECT a.d * 1000 + b.d * 100 + c.d * 10 + e.d, REPEAT(CHAR(65 + e.d), 3000)
            FROM shop.digits a, shop.digits b, shop.digits c, shop.digits e;`);
      },
      // the same small table over and over: every page is in the pool (the first call warms it
      // again after the insert above evicted it; InnoDB's background purge of the insert may
      // still read a few pages of its own, hence the margins)
      warm: () =>
        app(async (c) => {
          for (let i = 0; i < 20; i++) await c.query('SELECT SUM(LENGTH(note)) FROM orders');
        }),
      cold: () =>
        app((c) =>
          c.query('SELECT SUM(LENGTH(pad)) FROM wide WHERE id IN (?)', [
            Array.from({ length: 400 }, (_, i) => (i * 7919) % 2500),
          ]),
        ),
      warmAbove: 0.95,
      coldBelow: 0.9,
      sizeBytes: 8 * 1024 * 1024,
      minDataBytes: 30 * 1024 * 1024,
    },
    leastPrivilege: {
      // the least-privilege account of README, not even SHOW VIEW
      dsn: () => createMonitorUser(server, 'dbdiag_min', 'min-pw'),
      unsupported: [],
      check: async () => undefined,
    },
  }));

  it('reaches saturation 1.0 exactly when an ordinary client is refused; an administrator still gets the reserved slot', async () => {
    try {
      // with the agent's own slot: every ordinary slot taken
      while (held.length < MAX_CONNECTIONS - 1) held.push(await mysql.createConnection({ uri: appUrl }));
      const full = await sample(agent, 'connections');
      expect(saturation(full)).toBe(1);

      const refused = await mysql.createConnection({ uri: appUrl }).then(
        (c) => c.end().then(() => null),
        (error: { errno?: number }) => error,
      );
      expect(refused?.errno).toBe(1040);
      const admin = await mysql.createConnection({ uri: server.url });
      try {
        const withAdmin = await sample(agent, 'connections');
        expect(withAdmin.used).toBe(MAX_CONNECTIONS + 1);
        expect(withAdmin.peakUsed).toBe(MAX_CONNECTIONS + 1);
        // Connection_errors_max_connections counts only refusals with the admin slot taken too.
        const refusedAgain = await mysql.createConnection({ uri: server.url }).then(
          (c) => c.end().then(() => null),
          (error: { errno?: number }) => error,
        );
        expect(refusedAgain?.errno).toBe(1040);
        const counted = await sample(agent, 'connections');
        expect(counted.refusedTotal).toBeGreaterThan(withAdmin.refusedTotal ?? 0);
      } finally {
        await admin.end();
      }
    } finally {
      for (const c of held.splice(0)) await c.end();
    }
  });

  it('cuts a query at the statement timeout and says timeout', async () => {
    const session = await connect(server.url, { ...LIMITS, statementTimeoutMs: 300 });
    try {
      const error = await session
        .query(
          'test',
          '/* dbdiag:test */ SELECT COUNT(*) FROM shop.digits a, shop.digits b, shop.digits c, shop.digits d, shop.digits e, shop.digits f, shop.digits g, shop.digits h, shop.digits i',
        )
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(ProbeError);
      expect((error as ProbeError).code).toBe('timeout');
      // the session is still usable after a server-side timeout
      expect((await session.sample('connections')).status).toBe('ok');
    } finally {
      await session.close();
    }
  });
});

describe.each(kinds)('performance_schema off on $label', (kind) => {
  let server: TestMysqlServer;
  let session: MysqlSession;

  beforeAll(async () => {
    server = await kind.start({ performanceSchema: false, maxConnections: 10 });
    session = await connect(server.url);
  });

  afterAll(async () => {
    await session?.close();
    await server?.destroy();
  });

  it('says statements and tables are unsupported, with how to turn it on, and keeps sampling the rest', async () => {
    const statements = await session.sample('statements');
    expect(statements).toMatchObject({ status: 'unsupported' });
    if (statements.status === 'unsupported') expect(statements.reason).toMatch(/performance_schema=ON/);
    expect(await session.sample('tables')).toMatchObject({ status: 'unsupported' });
    for (const probe of ['connections', 'cache', 'settings'] as const)
      expect((await session.sample(probe)).status, probe).toBe('ok');
    const connections = await sample(session, 'connections');
    expect(connections.used).toBe(1);
  });
});
