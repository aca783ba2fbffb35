// The little SQL both store backends need: parameterized queries written once, PostgreSQL
// style ($1, $2 ...), a transaction, and a multi-statement exec for migrations. SQLite gets
// the same text with its placeholders rewritten (sqlite.ts).

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlConnection {
  readonly dialect: SqlDialect;
  query<R extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** returns the rows changed */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** several statements, no parameters (migrations) */
  exec(sql: string): Promise<void>;
  /** one transaction; transactions on one connection run one after another */
  transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Runs async work one at a time (a transaction on the single SQLite connection). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
