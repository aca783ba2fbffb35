import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSession, SamplingLimits, TargetSpec } from '../../../agent/engines/engine.js';
import { postgresDriver } from '../../../agent/engines/postgres/driver.js';
import { type AgentError, ProbeError } from '../../../agent/errors.js';
import { rootLogger } from '../../../agent/log.js';
import type { ProbeName, Snapshot } from '../../../agent/snapshot/snapshot.js';
import { startPgBouncer } from '../../support/pgbouncer.js';
import { PG_VERSIONS, type PostgresServer, startPostgres } from '../../support/postgres.js';
import { untilValue } from '../../support/until.js';
import { probeContracts } from '../engines/probe-contracts.js';

// Probe-level behaviour against real servers, the same suite on every major version.
// Faults are made for real: held connections, sequential scans, a cold table, a stats reset.

const MAX_CONNECTIONS = 20;
const LIMITS: SamplingLimits = {
  statementTimeoutMs: 5000,
  topStatements: 50,
  topTables: 50,
  topIndexes: 100,
};
const log = rootLogger.child({ component: 'test' });

function target(url: string, poolerDsn: string | null = null): TargetSpec {
  return { name: 'pg-test', engine: 'postgres', dsn: url, poolerDsn };
}

async function snapshot(session: EngineSession, probes: readonly ProbeName[]): Promise<Snapshot> {
  const snap: Snapshot = {
    target: 'pg-test',
    engine: 'postgres',
    at: Date.now(),
    up: true,
    downReason: null,
    serverVersion: session.serverVersion,
    signals: {},
    probes: {},
  };
  for (const probe of probes) {
    const outcome = await session.sample(probe);
    if (outcome.status !== 'ok') throw new Error(`probe ${probe}: ${outcome.reason}`);
    Object.assign(snap.signals, outcome.signals);
  }
  return snap;
}

/** the probe contracts' wait, with this file's 15 s */
const until = <T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> =>
  untilValue(read, ok, what, 15_000);

/** Makes a workload session's table and I/O counters visible to the statistics views now. */
async function flushStats(client: pg.Client): Promise<void> {
  await client.query('SELECT pg_stat_force_next_flush()');
  await client.query('SELECT 1');
}

describe.each(PG_VERSIONS)('PostgreSQL %i probes', (version) => {
  let server: PostgresServer;
  let admin: pg.Client;
  let session: EngineSession;
  const extra: pg.Client[] = [];
  // 16+ adds reserved_connections to the slots ordinary clients can never take.
  const reservedSettings: Record<string, number> =
    version >= 16 ? { superuser_reserved_connections: 2, reserved_connections: 2 } : {};
  const reserved = version >= 16 ? 4 : 3;

  beforeAll(async () => {
    server = await startPostgres({
      version,
      settings: { max_connections: MAX_CONNECTIONS, shared_buffers: '16MB', ...reservedSettings },
    });
    admin = await server.connect();
    await admin.query(`
      CREATE EXTENSION pg_stat_statements;
      CREATE TABLE hot (id int PRIMARY KEY, v int);
      INSERT INTO hot SELECT g, g FROM generate_series(1, 100) g;
      CREATE TABLE scan_me (id int, payload text);
      INSERT INTO scan_me SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
      -- ~20 MB, bigger than a quarter of shared_buffers: written through a small ring buffer
      -- (CREATE TABLE AS), so it is not cached, and a sequential scan reads it through one.
      CREATE TABLE cold AS SELECT g AS id, repeat('x', 500) AS filler FROM generate_series(1, 40000) g;
      CREATE TABLE parent (id int PRIMARY KEY);
      CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id), note text);
      CREATE INDEX child_note_partial ON child (lower(note), id) WHERE note IS NOT NULL;
      CREATE ROLE monitor LOGIN IN ROLE pg_monitor;
      CREATE ROLE plain LOGIN;
    `);
    session = await postgresDriver.connect(target(server.url()), LIMITS, log);
  });

  afterAll(async () => {
    await session?.close();
    for (const c of extra) await c.end().catch(() => undefined);
    await admin?.end();
    await server?.stop();
  });

  it('reports its server version', () => {
    expect(session.serverVersion).toMatch(new RegExp(`^${version}\\.\\d+$`));
  });

  // the contracts every engine keeps (test/integration/engines/probe-contracts.ts), first, on
  // this server
  probeContracts(() => ({
    engine: 'postgres',
    adminDsn: server.url(),
    badLoginDsn: server.url({ user: 'nobody_here' }),
    unknownDatabase: { dsn: server.url({ database: 'does_not_exist' }), name: 'does_not_exist' },
    badDsn: 'postgres://a:b@host:notaport/db',
    run: async (sql, params) => {
      await admin.query(sql, params);
    },
    resetStatements: async () => {
      await admin.query('SELECT pg_stat_statements_reset()');
    },
    lookup: { sql: 'SELECT count(*) FROM hot WHERE v > $1', fingerprint: /FROM hot WHERE v > \$1/ },
    agentDsn: server.url(),
    appDsn: server.url(),
    sessionsAtStart: 2, // the administrator's and the file's own agent session
    slots: { max: MAX_CONNECTIONS, reserved, setting: MAX_CONNECTIONS },
    ownSessionCountedActive: true,
    lockHolderInTransaction: true,
    faultTables: { idle: 'public.scan_me', locked: 'public.hot' },
    scan: {
      table: 'public.scan_me',
      rows: 20_000,
      run: async () => {
        for (let i = 0; i < 3; i++) await admin.query("SELECT count(*) FROM scan_me WHERE payload = 'nope'");
        await flushStats(admin);
      },
      fingerprint: /FROM scan_me WHERE payload = \$1/,
      exactCounts: true,
      check: () => undefined,
    },
    ownStatement: /pg_stat_statements\(|dbdiag/,
    catalog: {
      prepare: async () => undefined,
      indexes: [
        {
          table: 'public.child',
          index: 'child_note_partial',
          columns: ['lower(note)', 'id'],
          unique: false,
          primary: false,
          where: 'note IS NOT NULL',
        },
        { table: 'public.child', index: 'child_pkey', primary: true, unique: true },
      ],
      // child.parent_id has no index: the table is returned even though nobody reads it.
      tables: ['public.child'],
      foreignKey: {
        table: 'public.child',
        name: 'child_parent_id_fkey',
        columns: ['parent_id'],
        referencedTable: 'public.parent',
        referencedColumns: ['id'],
      },
      check: () => undefined,
    },
    cache: {
      prepare: async () => undefined,
      warm: async () => {
        for (let i = 0; i < 20; i++) await admin.query('SELECT v FROM hot WHERE id = $1', [i + 1]);
        await flushStats(admin);
      },
      cold: async () => {
        await admin.query('SELECT count(*) FROM cold');
        await flushStats(admin);
      },
      warmAbove: 0.9,
      coldBelow: 0.5,
      sizeBytes: 16 * 1024 * 1024,
      minDataBytes: 20_000_000,
    },
    leastPrivilege: {
      dsn: async () => server.url({ user: 'monitor' }),
      unsupported: ['pooler'],
      check: async (monitor) => {
        const snap = await snapshot(monitor, ['statements']);
        // pg_read_all_stats (in pg_monitor) shows other roles' statement texts.
        expect(snap.signals.statements!.statements.some((s) => s.user === 'postgres')).toBe(true);
        expect(snap.signals.statements!.statements.some((s) => s.fingerprint.includes('insufficient'))).toBe(
          false,
        );
      },
    },
  }));

  it('reports what a role without pg_monitor cannot see instead of failing', async () => {
    const plain = await postgresDriver.connect(target(server.url({ user: 'plain' })), LIMITS, log);
    try {
      for (const probe of plain.probes) {
        const outcome = await plain.sample(probe);
        expect(['ok', 'unsupported'], probe).toContain(outcome.status);
      }
      const snap = await snapshot(plain, ['connections']);
      // Other roles' sessions still take slots; their state is hidden and counted as other.
      expect(snap.signals.connections!.used).toBeGreaterThan(1);
      expect(snap.signals.connections!.byState.other).toBeGreaterThan(0);
    } finally {
      await plain.close();
    }
  });

  it('says clearly when pg_stat_statements is not installed, and the other probes keep working', async () => {
    await admin.query('CREATE DATABASE nostat');
    const other = await postgresDriver.connect(target(server.url({ database: 'nostat' })), LIMITS, log);
    try {
      const outcome = await other.sample('statements');
      expect(outcome).toEqual({
        status: 'unsupported',
        reason: expect.stringContaining(
          'pg_stat_statements is not installed in database "nostat": CREATE EXTENSION pg_stat_statements',
        ),
      });
      expect((await other.sample('connections')).status).toBe('ok');
    } finally {
      await other.close();
    }
  });

  it('cuts a probe that waits on a lock, and reports a terminated session as connection-lost', async () => {
    const locker = await server.connect();
    extra.push(locker);
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE child IN ACCESS EXCLUSIVE MODE');
    const own = await postgresDriver.connect(target(server.url()), LIMITS, log);
    try {
      // pg_table_size(child) waits for the lock; lock_timeout (1 s) cuts it.
      await expect(own.sample('tables')).rejects.toMatchObject({ code: 'timeout', probe: 'tables' });
      await locker.query('COMMIT');
      expect((await own.sample('tables')).status).toBe('ok');
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dbdiag' AND pid <> pg_backend_pid()",
      );
      const error = await own.sample('connections').then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ProbeError);
      expect((error as AgentError).code).toBe('connection-lost');
      // and every later sample says the same at once, so the runtime re-opens it
      await expect(own.sample('cache')).rejects.toMatchObject({ code: 'connection-lost' });
    } finally {
      await own.close();
    }
    // the shared session was terminated too: open it again for the rest of the file
    await session.close();
    session = await postgresDriver.connect(target(server.url()), LIMITS, log);
  });

  it('reads a PgBouncer in front of the server: clients wait when the pool is exhausted', async () => {
    const bouncer = await startPgBouncer(server, { poolSize: 1, poolMode: 'session' });
    const { Client } = (await import('pg')).default;
    const first = new Client({ connectionString: bouncer.url() });
    const second = new Client({ connectionString: bouncer.url() });
    const pooled = await postgresDriver.connect(target(server.url(), bouncer.adminUrl('stats')), LIMITS, log);
    try {
      await first.connect();
      await first.query('SELECT 1');
      const waiting = second.connect().then(() => second.query('SELECT 1'));
      const snap = await until(
        () => snapshot(pooled, ['pooler']),
        (s) => (s.signals.pooler?.pools.find((p) => p.pool === 'app/postgres')?.clientsWaiting ?? 0) >= 1,
        'a client waiting in the pool',
      );
      const pool = snap.signals.pooler!.pools.find((p) => p.pool === 'app/postgres')!;
      expect(pool).toMatchObject({ clientsActive: 1, clientsWaiting: 1, serversActive: 1, poolSize: 1 });
      expect(snap.signals.pooler!.pools.some((p) => p.pool.startsWith('pgbouncer/'))).toBe(false);
      await first.end();
      await waiting;
      const drained = await until(
        () => snapshot(pooled, ['pooler']),
        (s) => s.signals.pooler?.pools.find((p) => p.pool === 'app/postgres')?.clientsWaiting === 0,
        'the pool drained',
      );
      expect(drained.signals.pooler!.pools[0]!.clientsActive).toBe(1);
    } finally {
      await second.end().catch(() => undefined);
      await first.end().catch(() => undefined);
      await pooled.close();
      await bouncer.stop();
    }
  });
});
