import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { AgentError, errorMessage } from '../errors.js';
import { Mutex, type SqlConnection } from './sql.js';

// The embedded store: one SQLite file (WAL journal). better-sqlite3 is synchronous; every
// batch is small (one cycle's rows) so a write holds the event loop for about a millisecond.
// A second agent or a CLI on the same file waits for the write lock (busy_timeout).

const BUSY_TIMEOUT_MS = 5000;

// better-sqlite3 waits for a lock synchronously: two connections of one process to one file
// (an agent and an in-process CLI, tests) must not interleave transactions, or the waiting one
// blocks the event loop the holder needs to finish. One mutex per file; other processes wait
// on busy_timeout.
const fileMutexes = new Map<string, Mutex>();

/** `$1`-style placeholders (written once for both backends) -> SQLite `?`, params in order. */
export function toSqlite(sql: string, params: readonly unknown[] = []): { sql: string; params: unknown[] } {
  const ordered: unknown[] = [];
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
    ordered.push(params[Number(n) - 1]);
    return '?';
  });
  return { sql: text, params: ordered };
}

export function openSqlite(path: string): SqlConnection {
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  } catch (cause) {
    throw new AgentError('store-unavailable', `state store ${path}: cannot open (${errorMessage(cause)})`, {
      cause,
    });
  }
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (statements.size > 200) statements.clear();
      statements.set(sql, statement);
    }
    return statement;
  };
  const key = resolve(path);
  const mutex = fileMutexes.get(key) ?? new Mutex();
  fileMutexes.set(key, mutex);
  let inTransaction = false;
  const connection: SqlConnection = {
    dialect: 'sqlite',
    async query<R extends object>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const q = toSqlite(sql, params);
      return prepare(q.sql).all(...q.params) as R[];
    },
    async run(sql, params = []) {
      const q = toSqlite(sql, params);
      return prepare(q.sql).run(...q.params).changes;
    },
    async exec(sql) {
      db.exec(sql);
    },
    transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T> {
      if (inTransaction) return fn(connection);
      return mutex.run(async () => {
        // IMMEDIATE: take the write lock now (waiting busy_timeout for another process), not at the first write
        db.exec('BEGIN IMMEDIATE');
        inTransaction = true;
        try {
          const result = await fn(connection);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        } finally {
          inTransaction = false;
        }
      });
    },
    async close() {
      await mutex.run(async () => {
        if (db.open) db.close();
      });
    },
  };
  return connection;
}
