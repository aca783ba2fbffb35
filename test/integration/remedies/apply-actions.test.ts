import mysql from 'mysql2/promise';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../../agent/engines/dialects.js';
import { createIndexAction } from '../../../agent/findings/actions.js';
import { startLocalMariadb, type TestMysqlServer } from '../../support/mysql.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

// The executor of fix actions (what the demo's --fix uses, and apply/drills later) on real
// servers: it runs what the engine's renderer writes, the rollback undoes it, and an expired
// lock timeout is retried after the failed build's leftovers are removed.

describe('applyActions on PostgreSQL', () => {
  let server: PostgresServer;
  let client: pg.Client;
  const create = createIndexAction({
    table: 'public.orders',
    name: 'orders_customer_id_idx',
    columns: ['customer_id'],
    lockTimeoutSeconds: 5,
    risk: 'r',
  });

  beforeAll(async () => {
    server = await startPostgres({ version: 15 });
    client = await server.connect();
    await client.query('CREATE TABLE orders (id int PRIMARY KEY, customer_id int)');
    await client.query('INSERT INTO orders SELECT g, g % 100 FROM generate_series(1, 10000) g');
  });
  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  const indexes = async () =>
    (
      await client.query<{ indexname: string }>(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'orders' ORDER BY indexname",
      )
    ).rows.map((r) => r.indexname);

  it('builds the index online from the action and its rollback drops it', async () => {
    const [applied] = await dialects.postgres.applyActions(client, [create]);
    expect(applied?.statements.at(-1)).toMatch(/^CREATE INDEX CONCURRENTLY orders_customer_id_idx/);
    expect(applied?.attempts).toBe(1);
    expect(await indexes()).toContain('orders_customer_id_idx');
    if (!create.rollback) throw new Error('create-index has a rollback');
    await dialects.postgres.applyActions(client, [create.rollback]);
    expect(await indexes()).not.toContain('orders_customer_id_idx');
  });

  it('retries an expired lock_timeout, leaves no INVALID index behind, and gives up after the attempts', async () => {
    const holder = await server.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE orders IN SHARE MODE');
      const retries: number[] = [];
      const failure = await dialects.postgres
        .applyActions(client, [create], {
          lockTimeoutSeconds: 1,
          attempts: 2,
          onRetry: (_a, attempt) => retries.push(attempt),
        })
        .catch((error: unknown) => error);
      expect((failure as { code?: string }).code).toBe('55P03');
      expect(retries).toEqual([1]);
      const invalid = await client.query(
        "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'orders_customer_id_idx'",
      );
      expect(invalid.rowCount).toBe(0);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });
});

describe('applyActions on MariaDB', () => {
  let server: TestMysqlServer;
  let connection: mysql.Connection;

  beforeAll(async () => {
    server = await startLocalMariadb();
    await server.exec(
      'CREATE DATABASE shop; CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int) ENGINE=InnoDB',
    );
    connection = await mysql.createConnection({ uri: server.url });
  });
  afterAll(async () => {
    await connection?.end();
    await server?.destroy();
  });

  it('adds the index with online DDL from the action and its rollback drops it', async () => {
    const create = createIndexAction({
      table: 'shop.orders',
      name: 'orders_customer_id_idx',
      columns: ['customer_id'],
      lockTimeoutSeconds: 5,
      risk: 'r',
    });
    const [applied] = await dialects.mysql.applyActions(connection, [create]);
    expect(applied?.statements.at(-1)).toMatch(/ALGORITHM=INPLACE, LOCK=NONE;$/);
    const names = async () =>
      (
        (await server.exec(
          "SELECT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'orders'",
        )) as { name: string }[]
      ).map((r) => r.name);
    expect(await names()).toContain('orders_customer_id_idx');
    if (!create.rollback) throw new Error('create-index has a rollback');
    await dialects.mysql.applyActions(connection, [create.rollback]);
    expect(await names()).not.toContain('orders_customer_id_idx');
  });
});
