import pg from 'pg';
import { redactDsn } from '../config/dsn-secrets.js';
import { AgentError, errorMessage } from '../errors.js';
import type { SqlConnection } from './sql.js';

// The shared store: a PostgreSQL database several agents write to. A small pool of its own
// (never a target's session); bigint and numeric come back as numbers (epoch ms and counters
// stay far below 2^53).

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const toNumber = (value: string): number => Number(value);

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return toNumber;
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

const STATEMENT_TIMEOUT_MS = 10_000;

function wrap(client: pg.Pool | pg.PoolClient, transaction: SqlConnection['transaction']): SqlConnection {
  return {
    dialect: 'postgres',
    async query<R extends object>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      return (await client.query<R>(sql, params as unknown[])).rows;
    },
    async run(sql, params = []) {
      return (await client.query(sql, params as unknown[])).rowCount ?? 0;
    },
    async exec(sql) {
      await client.query(sql);
    },
    transaction,
    async close() {},
  };
}

export function openPostgresStore(url: string): SqlConnection {
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString: url,
      max: 3,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5000,
      application_name: 'dbdiag-store',
      statement_timeout: STATEMENT_TIMEOUT_MS,
      types,
    });
  } catch (cause) {
    throw new AgentError('store-unavailable', `state store ${redactDsn(url)}: ${errorMessage(cause)}`, {
      cause,
    });
  }
  // An idle client losing its server must not end the agent: the next query reconnects.
  pool.on('error', () => undefined);
  // ... and neither must a client in use when the server goes away (its query fails instead)
  pool.on('connect', (client) => client.on('error', () => undefined));
  const transaction = async <T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const nested: SqlConnection = wrap(client, (inner) => inner(nested));
      const result = await fn(nested);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  };
  const connection = wrap(pool, transaction);
  return {
    ...connection,
    async close() {
      await pool.end();
    },
  };
}
