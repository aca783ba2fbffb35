import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSession, SamplingLimits, TargetSpec } from '../../../agent/engines/engine.js';
import { postgresDriver } from '../../../agent/engines/postgres/driver.js';
import { rootLogger } from '../../../agent/log.js';
import { loadSandboxEngine } from '../../../agent/sandbox/engines.js';
import type { SandboxReplicaPair } from '../../../agent/sandbox/server.js';
import type { ReplicationSignals } from '../../../agent/snapshot/signals.js';

// A real PostgreSQL 15 primary with a streaming replica (pg_basebackup -R): the replication
// probe as a pg_monitor-only role on both. Replay is paused on the replica for real while the
// primary writes, and resumed; a slot nobody consumes keeps WAL on the primary.

const LIMITS: SamplingLimits = {
  statementTimeoutMs: 5000,
  topStatements: 50,
  topTables: 50,
  topIndexes: 100,
};
const log = rootLogger.child({ component: 'test' });
const MONITOR = 'repl_monitor';

function target(name: string, dsn: string): TargetSpec {
  return { name, engine: 'postgres', dsn, poolerDsn: null };
}

async function replication(session: EngineSession): Promise<ReplicationSignals> {
  const outcome = await session.sample('replication');
  if (outcome.status !== 'ok') throw new Error(`replication probe: ${outcome.reason}`);
  const signals = outcome.signals.replication;
  if (!signals) throw new Error('replication probe returned no signals');
  return signals;
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('PostgreSQL 15 replication probe on a real primary + streaming replica', () => {
  let pair: SandboxReplicaPair;
  let onPrimary: EngineSession;
  let onReplica: EngineSession;

  beforeAll(async () => {
    const startPair = (await loadSandboxEngine('postgres')).startReplicaPair;
    if (!startPair) throw new Error('the PostgreSQL sandbox has no replica pair');
    pair = await startPair({ version: 15, purpose: 'test', maxConnections: 20 });
    // made on the primary, replicated to the replica like any other role
    await pair.primary.query(`CREATE ROLE ${MONITOR} LOGIN IN ROLE pg_monitor`);
    await pair.primary.query('CREATE TABLE ticks (id bigserial PRIMARY KEY, payload text)');
    await pair.primary.query("INSERT INTO ticks (payload) SELECT 'x' FROM generate_series(1, 100)");
    onPrimary = await postgresDriver.connect(
      target('primary', pair.primary.dsn({ user: MONITOR })),
      LIMITS,
      log,
    );
    await until(
      () => pair.replica.query(`SELECT 1 FROM pg_roles WHERE rolname = '${MONITOR}'`),
      (rows) => rows.length === 1,
      'the monitoring role on the replica',
    );
    onReplica = await postgresDriver.connect(
      target('replica', pair.replica.dsn({ user: MONITOR })),
      LIMITS,
      log,
    );
  }, 120_000);

  afterAll(async () => {
    await onPrimary?.close();
    await onReplica?.close();
    await pair?.destroy();
  });

  it('says which server is which, and an idle caught-up replica has zero lag', async () => {
    const primary = await until(
      () => replication(onPrimary),
      (r) => r.replicas.some((x) => x.name === pair.replicaName && x.lagBytes === 0),
      'the replica caught up',
    );
    expect(primary.role).toBe('primary');
    expect(primary.self).toBeNull();
    expect(primary.replicas).toEqual([
      { name: pair.replicaName, state: 'streaming', lagBytes: 0, lagSeconds: 0 },
    ]);
    const replica = await replication(onReplica);
    expect(replica.role).toBe('replica');
    expect(replica.replicas).toEqual([]);
    expect(replica.self).toEqual({
      lagBytes: 0,
      lagSeconds: 0,
      paused: false,
      receiving: true,
      lastError: null,
      conflicts: 0,
    });
  });

  it('shows lag while replay is paused and the primary writes, and none once resumed', async () => {
    await pair.replica.query('SELECT pg_wal_replay_pause()');
    try {
      await new Promise((r) => setTimeout(r, 1100));
      await pair.primary.query("INSERT INTO ticks (payload) SELECT 'y' FROM generate_series(1, 1000)");
      const behind = await until(
        () => replication(onReplica),
        (r) => (r.self?.lagBytes ?? 0) > 0,
        'replica lag while paused',
      );
      expect(behind.self?.paused).toBe(true);
      expect(behind.self?.lagSeconds).toBeGreaterThan(1);
      const seenFromPrimary = await until(
        () => replication(onPrimary),
        (r) => (r.replicas[0]?.lagBytes ?? 0) > 0,
        'lag bytes on the primary',
      );
      expect(seenFromPrimary.replicas[0]?.name).toBe(pair.replicaName);
    } finally {
      await pair.replica.query('SELECT pg_wal_replay_resume()');
    }
    const caughtUp = await until(
      () => replication(onReplica),
      (r) => r.self?.lagBytes === 0,
      'replica lag after resume',
    );
    expect(caughtUp.self).toMatchObject({ lagBytes: 0, lagSeconds: 0, paused: false, receiving: true });
    await until(
      () => replication(onPrimary),
      (r) => r.replicas[0]?.lagBytes === 0 && r.replicas[0]?.lagSeconds === 0,
      'no lag on the primary after resume',
    );
  });

  it('reports a slot nobody consumes with the WAL it retains', async () => {
    await pair.primary.query("SELECT pg_create_physical_replication_slot('dbdiag_idle_slot', true)");
    try {
      await pair.primary.query(
        "INSERT INTO ticks (payload) SELECT repeat('z', 200) FROM generate_series(1, 5000)",
      );
      const signals = await replication(onPrimary);
      const slot = signals.slots.find((s) => s.name === 'dbdiag_idle_slot');
      expect(slot?.active).toBe(false);
      expect(slot?.retainedBytes).toBeGreaterThan(500_000);
    } finally {
      await pair.primary.query("SELECT pg_drop_replication_slot('dbdiag_idle_slot')");
    }
  });
});
