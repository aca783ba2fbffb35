import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import { advisorContracts } from './contracts.js';
import { advisedTarget } from './support.js';

// Every PostgreSQL finding kind, created for real on one server (pg_stat_statements
// preloaded, HypoPG installed, max_connections 20, a small shared_buffers), each in its own
// database so the conditions do not mix.

let server: PostgresServer;

async function database(
  name: string,
  extensions: string[] = ['pg_stat_statements', 'hypopg'],
): Promise<pg.Client> {
  await server.query(`CREATE DATABASE ${name}`);
  const client = await server.connect({ database: name });
  for (const e of extensions) await client.query(`CREATE EXTENSION ${e}`);
  return client;
}

/** Runs SQL on a short-lived connection: a backend flushes its statistics when it exits (an idle one only every 10 s). */
async function runAndFlush(name: string, sql: string): Promise<void> {
  const c = await server.connect({ database: name });
  await c.query(sql);
  await c.end();
  await new Promise((r) => setTimeout(r, 300));
}

const JOIN =
  'SELECT w.id, w.status, h.note FROM work_orders w JOIN wo_history h ON h.work_order_id = w.id WHERE w.id = $1';

async function planCost(client: pg.Client, sql: string, value: number): Promise<number> {
  const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: { 'Total Cost': number } }] }>(
    `EXPLAIN (FORMAT JSON) ${sql.replace('$1', String(value))}`,
  );
  return rows[0]?.['QUERY PLAN'][0].Plan['Total Cost'] ?? Number.NaN;
}

beforeAll(async () => {
  server = await startPostgres({
    version: 15,
    settings: {
      max_connections: 20,
      superuser_reserved_connections: 3,
      shared_buffers: '16MB',
      autovacuum: 'off',
    },
  });
});

afterAll(async () => {
  await server?.stop();
});

describe('PostgreSQL advisors on a real server', () => {
  it('a well-indexed schema under a normal workload yields no missing-index, pool or cache finding', async () => {
    const client = await database('healthy');
    const target = advisedTarget('postgres', server.url({ database: 'healthy' }), { cacheHitSamples: 2 });
    try {
      await client.query(`CREATE TABLE customers (id int PRIMARY KEY, name text);
        CREATE TABLE invoices (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, amount int);
        CREATE INDEX ON invoices (customer_id);
        INSERT INTO customers SELECT i, 'c' || i FROM generate_series(1, 5000) i;
        INSERT INTO invoices SELECT i, 1 + i % 5000, i % 100 FROM generate_series(1, 50000) i;
        ANALYZE`);
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 40; i++)
          await client.query(
            'SELECT c.name, i.amount FROM customers c JOIN invoices i ON i.customer_id = c.id WHERE c.id = $1',
            [1 + i * 7],
          );
        await target.cycle();
      }
      const kinds = target.runner.findings.map((f) => f.kind);
      expect(kinds).not.toContain('missing-index');
      expect(kinds).not.toContain('pool-saturation');
      expect(kinds).not.toContain('low-cache-hit');
      expect(kinds).not.toContain('fk-without-index');
    } finally {
      await target.stop();
      await client.end();
    }
  });

  it('the incident: the un-indexed JOIN saturates the pool; missing-index is proven with HypoPG and linked as the root cause; its DDL makes the plan cheaper and the finding resolve', async () => {
    const client = await database('plant');
    const target = advisedTarget('postgres', server.url({ database: 'plant' }), {
      saturationWindowSeconds: 0,
    });
    const workers: pg.Client[] = [];
    let stop = false;
    try {
      await client.query(`CREATE TABLE work_orders (id int PRIMARY KEY, status text);
        CREATE TABLE wo_history (id int PRIMARY KEY, work_order_id int NOT NULL, note text);
        INSERT INTO work_orders SELECT i, 'open' FROM generate_series(1, 20000) i;
        INSERT INTO wo_history SELECT i, 1 + i % 20000, 'note ' || i FROM generate_series(1, 150000) i;
        ANALYZE`);
      for (let i = 0; i < 30; i++) await client.query(JOIN, [1 + i * 13]);
      await target.cycle();
      await target.cycle();
      const found = target.of('missing-index');
      expect(found.map((f) => f.fix?.index)).toEqual([
        { schema: 'public', table: 'wo_history', columns: ['work_order_id'] },
      ]);
      const finding = found[0]!;
      expect(finding.evidence.method).toBe('hypopg');
      expect(Number(finding.evidence.costAfter)).toBeLessThan(Number(finding.evidence.costBefore) / 2);
      expect(finding.fix?.statements.join('\n')).toMatch(
        /CREATE INDEX CONCURRENTLY .* ON public\.wo_history \(work_order_id\)/,
      );

      // 15 application connections run the slow JOIN back to back: 17 of 17 usable slots taken.
      for (let w = 0; w < 15; w++) workers.push(await server.connect({ database: 'plant' }));
      const loops = workers.map(async (c, w) => {
        for (let i = 0; !stop; i++) await c.query(JOIN, [1 + ((w * 1000 + i * 7) % 20000)]);
      });
      await new Promise((r) => setTimeout(r, 1000));
      await target.cycle();
      await new Promise((r) => setTimeout(r, 1500));
      await target.cycle();
      const [pool] = target.of('pool-saturation');
      expect(pool?.severity).toBe('critical');
      expect(pool?.evidence.diagnosis).toBe('slow-statements');
      expect(pool?.related).toContain(finding.id);
      stop = true;
      await Promise.all(loops);

      const before = await planCost(client, JOIN, 42);
      for (const statement of finding.fix?.statements ?? []) await client.query(statement);
      const after = await planCost(client, JOIN, 42);
      expect(after).toBeLessThan(before / 2);

      await target.cycle();
      expect(target.of('missing-index')).toEqual([]);
    } finally {
      stop = true;
      await Promise.all(workers.map((c) => c.end()));
      await target.stop();
      await client.end();
    }
  });

  it('without HypoPG: EXPLAIN evidence on a real target; on a sandbox target the index is built in a rolled-back transaction and its cost reduction proven', async () => {
    const client = await database('nohypopg', ['pg_stat_statements']);
    const real = advisedTarget('postgres', server.url({ database: 'nohypopg' }));
    const sandbox = advisedTarget(
      'postgres',
      server.url({ database: 'nohypopg' }),
      {},
      { sandboxProof: true },
    );
    try {
      await client.query(`CREATE TABLE work_orders (id int PRIMARY KEY, status text);
        CREATE TABLE wo_history (id int PRIMARY KEY, work_order_id int NOT NULL, note text);
        INSERT INTO work_orders SELECT i, 'open' FROM generate_series(1, 20000) i;
        INSERT INTO wo_history SELECT i, 1 + i % 20000, 'note ' || i FROM generate_series(1, 150000) i;
        ANALYZE`);
      for (let i = 0; i < 30; i++) await client.query(JOIN, [1 + i * 13]);

      await real.cycle();
      const [evidence] = real.of('missing-index');
      expect(evidence?.evidence.method).toBe('explain');
      expect(evidence?.evidence.costAfter).toBeNull();
      expect(evidence?.evidence.proof).toMatch(
        /^EXPLAIN: full scan of public\.wo_history \(reads ~150,000 rows per execution, returns ~\d/,
      );
      expect(evidence?.evidence.proof).toMatch(/\(estimate from statistics, not proven\)$/);
      const estimate = Number(evidence?.evidence.scanCostAfterEstimate);
      expect(estimate).toBeLessThan(Number(evidence?.evidence.scanCost) / 2);

      await sandbox.cycle();
      const [proven] = sandbox.of('missing-index');
      expect(proven?.fix?.index).toEqual({
        schema: 'public',
        table: 'wo_history',
        columns: ['work_order_id'],
      });
      expect(proven?.evidence.method).toBe('sandbox-build');
      expect(proven?.fix?.details?.proof).toBe('sandbox build, rolled back');
      const before = Number(proven?.fix?.details?.costBefore);
      const after = Number(proven?.fix?.details?.costAfter);
      expect(after).toBeLessThan(before / 2);
      expect(proven?.summary).toMatch(/sandbox build, rolled back: plan cost [\d.]+ -> [\d.]+ \(-\d+%\)/);
      // nothing left behind: the build was rolled back
      const { rows } = await client.query<{ indexname: string }>(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'wo_history'",
      );
      expect(rows.map((r) => r.indexname)).toEqual(['wo_history_pkey']);

      // The estimate against the planner's cost of the real index scan, once the index exists.
      await client.query('CREATE INDEX wo_history_work_order_id ON wo_history (work_order_id)');
      const { rows: plan } = await client.query<{ 'QUERY PLAN': [{ Plan: { 'Total Cost': number } }] }>(
        'EXPLAIN (FORMAT JSON) SELECT * FROM wo_history WHERE work_order_id = 42',
      );
      const indexScanCost = plan[0]?.['QUERY PLAN'][0].Plan['Total Cost'] ?? Number.NaN;
      expect(estimate).toBeGreaterThan(indexScanCost / 2);
      expect(estimate).toBeLessThan(indexScanCost * 2);
    } finally {
      await real.stop();
      await sandbox.stop();
      await client.end();
    }
  });

  it('fk-without-index, stale-statistics and table-bloat from their real conditions', async () => {
    const client = await database('hygiene');
    const target = advisedTarget('postgres', server.url({ database: 'hygiene' }));
    try {
      await runAndFlush(
        'hygiene',
        `CREATE TABLE parents (id int PRIMARY KEY);
        CREATE TABLE children (id int PRIMARY KEY, parent_id int REFERENCES parents, a int, b int);
        INSERT INTO parents SELECT i FROM generate_series(1, 1000) i;
        INSERT INTO children SELECT i, 1 + i % 1000, i % 500, i % 7 FROM generate_series(1, 60000) i;
        ANALYZE;
        CREATE TABLE churn (id int PRIMARY KEY, v int);
        INSERT INTO churn SELECT i, i FROM generate_series(1, 50000) i;
        ANALYZE churn;
        UPDATE churn SET v = v + 1 WHERE id <= 30000;
        DELETE FROM churn WHERE id > 10000`,
      );
      await target.cycle();
      const objects = (kind: Parameters<typeof target.of>[0]) => target.of(kind).map((f) => f.object);
      expect(objects('fk-without-index')).toEqual(['public.children.children_parent_id_fkey']);
      expect(objects('stale-statistics')).toContain('public.churn');
      expect(objects('table-bloat')).toEqual(['public.churn']);

      for (const statement of target.of('table-bloat')[0]?.fix?.statements ?? [])
        await client.query(statement);
      await new Promise((r) => setTimeout(r, 1200)); // statistics reach pg_stat_user_tables on the next flush
      await target.cycle();
      expect(objects('table-bloat')).toEqual([]);
      expect(objects('stale-statistics')).not.toContain('public.churn');
    } finally {
      await target.stop();
      await client.end();
    }
  });

  it('pool-saturation: connections held to the ceiling, with the stop-gap computed from the peak', async () => {
    await (await database('pool')).end();
    const target = advisedTarget('postgres', server.url({ database: 'pool' }), {
      saturationWindowSeconds: 0,
    });
    const held: pg.Client[] = [];
    try {
      await target.cycle();
      expect(target.of('pool-saturation')).toEqual([]);
      // 20 max - 3 reserved = 17 usable; the agent holds one
      for (let i = 0; i < 16; i++) {
        const c = await server.connect({ database: 'pool' });
        if (i < 4) await c.query('BEGIN; SELECT 1');
        held.push(c);
      }
      await target.cycle();
      await target.cycle();
      const [f] = target.of('pool-saturation');
      expect(f?.severity).toBe('critical');
      expect(f?.evidence.used).toBe(17);
      expect(f?.evidence.idleInTransaction).toBe(4);
      expect(f?.fix?.details?.proposedMaxConnections).toBe(30);
      expect(f?.fix?.statements.join('\n')).toMatch(/max_connections = 30/);
    } finally {
      await Promise.all(held.map((c) => c.end()));
      await target.stop();
    }
  });

  it('slow-query from statements slower than the threshold', async () => {
    const slow = advisedTarget('postgres', server.url({ database: 'plant' }), { slowQueryMeanSeconds: 0.2 });
    const plant = await server.connect({ database: 'plant' });
    try {
      for (let i = 0; i < 3; i++) await plant.query('SELECT pg_sleep(0.25), $1::int AS n', [i]);
      await slow.cycle();
      const texts = slow.of('slow-query').map((f) => String(f.evidence.fingerprint));
      expect(texts.some((t) => t.includes('pg_sleep'))).toBe(true);
      expect(slow.of('extension-missing')).toEqual([]);
    } finally {
      await slow.stop();
      await plant.end();
    }
  });

  // the finding kinds both engines raise from the same condition (./contracts.ts), on this server
  advisorContracts(() => ({
    engine: 'postgres',
    database: async (name) => {
      await (await database(name)).end();
      return server.url({ database: name });
    },
    schemaOf: () => 'public',
    sql: {
      items: (rows) => `CREATE TABLE items (id int PRIMARY KEY, a int, b int);
        INSERT INTO items SELECT i, i % 300, i % 7 FROM generate_series(1, ${rows}) i;
        CREATE INDEX items_a ON items (a);
        CREATE INDEX items_a_b ON items (a, b);
        ANALYZE items`,
      bigTable: `CREATE TABLE big (id int, pad text);
        INSERT INTO big SELECT i, repeat('x', 200) FROM generate_series(1, 200000) i`,
      scanBig: "SELECT count(*) FROM big WHERE pad <> 'y'",
      sleep: (seconds) => `SELECT pg_sleep(${seconds})`,
    },
    itemsPrimaryKey: 'items_pkey',
    cache: { rounds: 3, scansPerRound: 3, setting: /shared_buffers/ },
    withoutStatementStatistics: async () => {
      await (await database('bare', [])).end();
      return {
        dsn: server.url({ database: 'bare' }),
        object: 'pg_stat_statements',
        fix: /pg_stat_statements/,
        done: async () => undefined,
      };
    },
  }));
});
