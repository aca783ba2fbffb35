import pg from 'pg';
import { redactDsn } from '../../../config/dsn-secrets.js';
import { ProbeError } from '../../../errors.js';
import type { PoolerSignals, PoolStat } from '../../../snapshot/signals.js';
import { classifyPostgresError } from '../errors.js';
import { num, type PgProbe, type PgProbeContext, unsupported } from '../probe.js';

// The PgBouncer in front of the database, through its admin console (the "pgbouncer" database).
// The console speaks only the simple query protocol and accepts no startup parameters besides
// application_name, so this is a plain client with a client-side timeout, and every command is
// sent as plain text without parameters. It is its own long-lived connection, re-opened after
// a failure; its failures never mark the database session as lost.
// Not versioned by server_version_num: these commands are PgBouncer's, stable since 1.8.

export const SHOW_POOLS = 'SHOW POOLS';
/** pool_size per database (the configured one, or default_pool_size) */
export const SHOW_DATABASES = 'SHOW DATABASES';

interface PoolRow {
  database: string;
  user: string;
  cl_active: number | string;
  cl_waiting: number | string;
  sv_active: number | string;
  sv_idle: number | string;
  maxwait: number | string;
  maxwait_us?: number | string;
}

interface DatabaseRow {
  name: string;
  pool_size: number | string | null;
}

/** The admin console's own pseudo-database is not a pool in front of anything. */
const ADMIN_DATABASE = 'pgbouncer';

export function toPoolStats(pools: PoolRow[], databases: DatabaseRow[]): PoolStat[] {
  const poolSize = new Map(databases.map((d) => [d.name, d.pool_size === null ? null : num(d.pool_size)]));
  return pools
    .filter((p) => p.database !== ADMIN_DATABASE)
    .map((p) => ({
      pool: `${p.database}/${p.user}`,
      clientsActive: num(p.cl_active),
      clientsWaiting: num(p.cl_waiting),
      serversActive: num(p.sv_active),
      serversIdle: num(p.sv_idle),
      maxWaitSeconds: num(p.maxwait) + num(p.maxwait_us ?? 0) / 1e6,
      poolSize: poolSize.get(p.database) ?? null,
    }));
}

export function createPoolerProbe(): PgProbe {
  let client: pg.Client | null = null;
  let broken = false;

  const drop = async (): Promise<void> => {
    const c = client;
    client = null;
    broken = false;
    if (c) await c.end().catch(() => undefined);
  };

  const open = async (context: PgProbeContext, dsn: string): Promise<pg.Client> => {
    if (client !== null && !broken) return client;
    await drop();
    const c = new pg.Client({
      connectionString: dsn,
      application_name: 'dbdiag',
      connectionTimeoutMillis: context.limits.statementTimeoutMs,
      query_timeout: context.limits.statementTimeoutMs,
    });
    c.on('error', () => {
      broken = true;
    });
    c.on('end', () => {
      broken = true;
    });
    await c.connect();
    client = c;
    return c;
  };

  return {
    async run(context: PgProbeContext) {
      const dsn = context.target.poolerDsn;
      if (dsn === null) return unsupported('no pooler configured for this target (poolerDsn)');
      try {
        const c = await open(context, dsn);
        const at = Date.now();
        const pools = await c.query<PoolRow>(SHOW_POOLS);
        const databases = await c.query<DatabaseRow>(SHOW_DATABASES);
        const pooler: PoolerSignals = {
          at,
          kind: 'pgbouncer',
          pools: toPoolStats(pools.rows, databases.rows),
        };
        return { status: 'ok', signals: { pooler } };
      } catch (error) {
        await drop();
        // Classified as a connect failure: a lost pooler connection is the pooler's problem
        // ('server-down'), never 'connection-lost', which would drop the database session.
        const code = classifyPostgresError(error, 'connect');
        const message = error instanceof Error ? error.message : String(error);
        throw new ProbeError(
          code,
          'pooler',
          context.target.name,
          `target "${context.target.name}": PgBouncer admin console ${redactDsn(dsn)}: ${message}`,
          { cause: error },
        );
      }
    },
    close: drop,
  };
}
