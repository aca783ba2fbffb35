import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMariadb, type TestMysqlServer } from '../../support/mysql.js';
import { advisorContracts } from './contracts.js';
import { advisedTarget } from './support.js';

// The MySQL/MariaDB side of the finding kinds, each created for real on one MariaDB
// (performance_schema with statement history, 16 MB buffer pool), plus one without
// performance_schema for extension-missing. The kinds both engines raise from the same
// condition are written once (./contracts.ts) and run here on this server.

let server: TestMysqlServer;

async function connect(database = 'shop'): Promise<mysql.Connection> {
  return mysql.createConnection({ uri: server.urlFor('root', '', database), multipleStatements: true });
}

beforeAll(async () => {
  server = await startLocalMariadb({ statementHistory: true, maxConnections: 30 });
  await server.exec('CREATE DATABASE shop');
});

afterAll(async () => {
  await server?.destroy();
});

interface ExplainRow {
  type: string;
  rows: number;
}

describe('MySQL/MariaDB advisors on a real server', () => {
  it('missing-index from EXPLAIN of the sample statement; the online DDL changes the full scan into an index lookup and the finding resolves', async () => {
    const c = await connect();
    const target = advisedTarget('mysql', server.urlFor('root', '', 'shop'));
    try {
      await c.query(`CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(10), total INT);
        INSERT INTO orders SELECT seq, seq % 5000, ELT(1 + seq % 3, 'open', 'done', 'hold'), seq % 1000 FROM seq_1_to_100000;
        ANALYZE TABLE orders`);
      for (let i = 0; i < 20; i++)
        await c.query(`SELECT id, total FROM orders WHERE customer_id = ${i * 37}`);
      for (let i = 0; i < 20; i++) await c.query(`SELECT id FROM orders WHERE status = 'open' LIMIT 5`);
      await target.cycle();
      await target.cycle();
      const found = target.of('missing-index');
      expect(found.map((f) => f.fix?.index)).toEqual([
        { schema: 'shop', table: 'orders', columns: ['customer_id'] },
      ]);
      const finding = found[0]!;
      expect(finding.evidence.method).toBe('explain');
      expect(finding.fix?.statements.join('\n')).toMatch(
        /ALTER TABLE shop\.orders ADD INDEX .* \(customer_id\), ALGORITHM=INPLACE, LOCK=NONE/,
      );

      const explain = async () =>
        (
          (await c.query('EXPLAIN SELECT id, total FROM orders WHERE customer_id = 74'))[0] as ExplainRow[]
        )[0];
      const before = await explain();
      for (const statement of finding.fix?.statements ?? []) await c.query(statement);
      const after = await explain();
      expect(before?.type).toBe('ALL');
      expect(after?.type).toBe('ref');
      expect(Number(after?.rows)).toBeLessThan(Number(before?.rows) / 2);

      await target.cycle();
      expect(target.of('missing-index')).toEqual([]);
    } finally {
      await target.stop();
      await c.end();
    }
  });

  it('table-bloat from the free space a mass delete leaves (DATA_FREE)', async () => {
    const c = await connect();
    try {
      await c.query(`CREATE TABLE journal (id INT PRIMARY KEY, pad VARCHAR(2000));
        INSERT INTO journal SELECT seq, REPEAT('j', 1900) FROM seq_1_to_20000`);
      await c.query('DELETE FROM journal WHERE id > 1000');
      await c.query('OPTIMIZE TABLE journal').catch(() => undefined);
      await c.query(`INSERT INTO journal SELECT seq, REPEAT('j', 1900) FROM seq_1001_to_20000`);
      await c.query('DELETE FROM journal WHERE id > 1000');
      // purge runs in the background (slowly on a loaded machine): wait until InnoDB reports the free space
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [rows] = await c.query(
          "SELECT DATA_FREE AS f FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'journal'",
        );
        const free = Number((rows as { f: number }[])[0]?.f);
        if (free > 8 * 1024 * 1024) break;
        if (Date.now() > deadline)
          throw new Error(`InnoDB reports ${free} bytes free in shop.journal after 60 s`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const target = advisedTarget('mysql', server.urlFor('root', '', 'shop'), {
        bloatMinFreeBytes: 4 * 1024 * 1024,
      });
      try {
        await target.cycle();
        const [f] = target.of('table-bloat').filter((x) => x.object === 'shop.journal');
        expect(f?.fix?.statements[0]).toMatch(/ALTER TABLE shop\.journal ENGINE=InnoDB/);
      } finally {
        await target.stop();
      }
    } finally {
      await c.end();
    }
  });

  // the finding kinds both engines raise from the same condition (./contracts.ts), on this server
  advisorContracts(() => ({
    engine: 'mysql',
    database: async (name) => {
      await server.exec(`CREATE DATABASE ${name}`);
      return server.urlFor('root', '', name);
    },
    schemaOf: (database) => database,
    sql: {
      items: (
        rows,
      ) => `CREATE TABLE items (id INT PRIMARY KEY, a INT, b INT, KEY items_a (a), KEY items_a_b (a, b));
        INSERT INTO items SELECT seq, seq % 300, seq % 7 FROM seq_1_to_${rows}`,
      bigTable: `CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(2000));
        INSERT INTO big SELECT seq, REPEAT('x', 1900) FROM seq_1_to_30000`,
      scanBig: "SELECT COUNT(*) FROM big WHERE pad <> 'y'",
      sleep: (seconds) => `SELECT SLEEP(${seconds})`,
    },
    itemsPrimaryKey: 'PRIMARY',
    cache: { rounds: 2, scansPerRound: 2, setting: /innodb_buffer_pool_size/ },
    withoutStatementStatistics: async () => {
      const bare = await startLocalMariadb({ performanceSchema: false });
      return {
        dsn: bare.url,
        object: 'performance_schema',
        fix: /performance_schema = ON/,
        done: () => bare.destroy(),
      };
    },
  }));
});
