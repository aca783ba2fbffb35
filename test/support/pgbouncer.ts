import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import type { PostgresServer } from './postgres.js';
import { chownTree, serverUser, spawnAs } from './run-as.js';

// PgBouncer (/usr/sbin/pgbouncer) in front of a test PostgreSQL server. Trust auth on loopback;
// "postgres" is admin on the console (database "pgbouncer"), "stats" only a stats user.

export const PGBOUNCER_BIN = '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  /** the database name clients use through the pooler, mapped to `database` on the server */
  alias?: string;
  database?: string;
  poolSize?: number;
  poolMode?: 'session' | 'transaction' | 'statement';
}

export interface PgBouncer {
  readonly port: number;
  /** through the pooler to the database */
  url(user?: string): string;
  /** the admin console */
  adminUrl(user?: string): string;
  stop(): Promise<void>;
}

const live = new Set<{ child: ChildProcess; dir: string }>();
process.once('exit', () => {
  for (const p of live) {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
    rmSync(p.dir, { recursive: true, force: true });
  }
});

async function waitForConsole(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}:\n${log()}`);
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SHOW VERSION');
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline)
        throw new Error(`pgbouncer did not answer in 15 s: ${String(error)}\n${log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function startPgBouncer(
  server: PostgresServer,
  options: PgBouncerOptions = {},
): Promise<PgBouncer> {
  if (!existsSync(PGBOUNCER_BIN)) throw new Error(`${PGBOUNCER_BIN} not found (apt-get install pgbouncer)`);
  const alias = options.alias ?? 'app';
  const dir = mkdtempSync(join(tmpdir(), 'dbdiag-pgbouncer-'));
  const port = await freePort();
  writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n"stats" ""\n');
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${alias} = host=${server.host} port=${server.port} dbname=${options.database ?? 'postgres'} user=postgres`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'admin_users = postgres',
      'stats_users = stats',
      `pool_mode = ${options.poolMode ?? 'session'}`,
      `default_pool_size = ${options.poolSize ?? 2}`,
      'max_client_conn = 100',
      'ignore_startup_parameters = extra_float_digits',
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  const user = serverUser(['postgres']);
  chownTree(dir, user);
  let log = '';
  const child = spawnAs(user, PGBOUNCER_BIN, [join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const entry = { child, dir };
  live.add(entry);
  const url = (user = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${alias}`;
  const adminUrl = (user = 'postgres') => `postgres://${user}@127.0.0.1:${port}/pgbouncer`;
  await waitForConsole(adminUrl(), child, () => log);
  return {
    port,
    url,
    adminUrl,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGINT');
        await exited;
      }
      live.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
