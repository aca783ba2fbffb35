import mysql, { type Connection, type QueryError, type RowDataPacket } from 'mysql2';

// The one long-lived connection of a target. The core (callback) mysql2 connection is wrapped
// by hand so that its 'error' event is always handled (an idle connection that dies emits it;
// unhandled, it would crash the agent) and so that a query whose answer never comes back
// marks the connection dead instead of leaving the protocol out of step.

export type Row = Record<string, string | number | null>;

/** How much longer than the server-side timeout the client waits before it gives up on the connection. */
const CLIENT_GRACE_MS = 1500;

export class MysqlConnection {
  private dead: unknown = null;

  private constructor(
    private readonly connection: Connection,
    private readonly timeoutMs: number,
  ) {
    connection.on('error', (error: unknown) => {
      this.dead = error;
    });
    connection.on('end', () => {
      this.dead ??= Object.assign(new Error('connection closed by the server'), {
        code: 'PROTOCOL_CONNECTION_LOST',
        fatal: true,
      });
    });
  }

  static open(options: mysql.ConnectionOptions, timeoutMs: number): Promise<MysqlConnection> {
    return new Promise((resolve, reject) => {
      const connection = mysql.createConnection(options);
      // Until the handshake is done, errors reject the connect; afterwards the instance handles them.
      const onError = (error: unknown): void => {
        connection.destroy();
        reject(error);
      };
      connection.once('error', onError);
      connection.connect((error: QueryError | null) => {
        connection.off('error', onError);
        if (error) {
          connection.destroy();
          reject(error);
          return;
        }
        resolve(new MysqlConnection(connection, timeoutMs));
      });
    });
  }

  /** The error that killed the connection, or null while it is usable. */
  get deadReason(): unknown {
    return this.dead;
  }

  query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    if (this.dead !== null) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.connection.query<RowDataPacket[]>(
        { sql, values: [...params], timeout: this.timeoutMs + CLIENT_GRACE_MS },
        (error: QueryError | null, rows: RowDataPacket[]) => {
          if (error) {
            // The client gave up waiting: the protocol is out of step, the connection cannot be reused.
            if (error.code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
              this.dead = error;
              this.connection.destroy();
            } else if (error.fatal) {
              this.dead = error;
            }
            reject(error);
            return;
          }
          resolve(rows as unknown as T[]);
        },
      );
    });
  }

  async close(): Promise<void> {
    if (this.dead !== null) {
      this.connection.destroy();
      return;
    }
    this.dead = Object.assign(new Error('connection closed by the agent'), {
      code: 'PROTOCOL_ENQUEUE_AFTER_QUIT',
    });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.connection.destroy();
        resolve();
      }, 1000);
      this.connection.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
