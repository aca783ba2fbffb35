import { expect, it } from 'vitest';
import { drivers } from '../../../agent/engines/drivers.js';
import type { EngineSession, SamplingLimits } from '../../../agent/engines/engine.js';
import type { AgentError } from '../../../agent/errors.js';
import { rootLogger } from '../../../agent/log.js';
import { loadSandboxEngine } from '../../../agent/sandbox/engines.js';
import type { SandboxSession } from '../../../agent/sandbox/server.js';
import { cacheRate, type StatementRate, statementRates, tableRates } from '../../../agent/snapshot/rates.js';
import type {
  CacheSignals,
  ConnectionSignals,
  EngineName,
  ForeignKeyStat,
  IndexStat,
  StatementSignals,
  StatementStat,
  TableSignals,
} from '../../../agent/snapshot/signals.js';
import type { ProbeName } from '../../../agent/snapshot/snapshot.js';
import { untilValue as until } from '../../support/until.js';

// Probe contracts every engine keeps, written once (as kysely runs one suite per dialect):
// held connections and saturation, idle-in-transaction / lock waits / the oldest transaction, a
// full scan in the table counters and its statement, the interval cache-hit ratio on a cold
// read, indexes and foreign keys, least privilege, connect failures, a statistics reset.
// Each engine's probe suite (test/integration/<engine>/probes.test.ts) calls them inside its own
// describe, on the server it already started, so no server is started twice for them. What
// differs per engine is the ProbeContractServer it hands in: DSNs, the SQL of its workload, and
// the few facts where the engines count differently (a per-engine fixture, never an `if engine`
// here). Sessions and faults (idle in transaction, a table lock) come from the sandbox module's
// engine side (agent/sandbox/engines.ts), the same primitives the demo and the drills use.

export interface ProbeContractServer {
  engine: EngineName;
  /** the administrator's DSN */
  adminDsn: string;
  /** a DSN whose login the server refuses (unknown role or wrong password) */
  badLoginDsn: string;
  /** a DSN naming a database that does not exist; its name */
  unknownDatabase: { dsn: string; name: string };
  /** a DSN that does not parse (its port is not a number), with password "b" in it */
  badDsn: string;
  /** runs one statement as the application would (its own session) */
  run(sql: string, params: unknown[]): Promise<void>;
  /** empties the server's statement statistics (pg_stat_statements_reset / TRUNCATE the digest table) */
  resetStatements(): Promise<void>;
  /** a statement with one parameter, reading a table of the suite; and its fingerprint as the probe reports it */
  lookup: { sql: string; fingerprint: RegExp };

  /** the DSN the agent samples with in the shared tests */
  agentDsn: string;
  /** an application login that may read and lock the suite's tables (plain sessions are opened with it) */
  appDsn: string;
  /** client sessions open on the server when the shared tests start, the agent's not counted */
  sessionsAtStart: number;
  /** max and reserved as the connections probe reports them */
  /** the server's slots; `setting`: its max_connections as configured */
  slots: { max: number; reserved: number; setting: number };
  /** the agent's own session shows in byState as active (PostgreSQL), or in no state (MySQL) */
  ownSessionCountedActive: boolean;
  /** the table-lock fault holds its lock inside a transaction (PostgreSQL LOCK TABLE) rather than outside one (MySQL LOCK TABLES) */
  lockHolderInTransaction: boolean;
  /** two tables of the suite, qualified: one read inside an idle transaction, one locked */
  faultTables: { idle: string; locked: string };
  /** a full scan of `table` (`rows` rows), run three times by `run` (its statistics visible when it returns) */
  scan: {
    table: string;
    rows: number;
    run(): Promise<void>;
    /** the statement's fingerprint as the statements probe reports it */
    fingerprint: RegExp;
    /** scans are counted by the server (PostgreSQL) rather than estimated from rows read (MySQL) */
    exactCounts: boolean;
    /** what else the engine reports of that statement */
    check(rate: StatementRate, stat: StatementStat | undefined): void;
  };
  /** what marks the agent's own statements, in a fingerprint or a sample */
  ownStatement: RegExp;
  catalog: {
    /** what makes the tables below show (the tables probe reports the busiest) */
    prepare(): Promise<void>;
    indexes: Partial<IndexStat>[];
    tables: string[];
    foreignKey: ForeignKeyStat;
    /** what else this engine reports of its tables */
    check(tables: TableSignals): void;
  };
  cache: {
    /** creates what `cold` reads; runs before the first cache sample */
    prepare(): Promise<void>;
    /** reads only what the cache holds (its statistics visible when it returns) */
    warm(): Promise<void>;
    /** reads what the cache cannot hold */
    cold(): Promise<void>;
    warmAbove: number;
    coldBelow: number;
    sizeBytes: number;
    minDataBytes: number;
  };
  leastPrivilege: {
    /** creates the least-privilege login of README (if not there yet) and gives its DSN */
    dsn(): Promise<string>;
    /** probes that say unsupported on this target (PostgreSQL: pooler, none configured) */
    unsupported: ProbeName[];
    /** what else this engine's least-privilege login must see */
    check(session: EngineSession): Promise<void>;
  };
}

const LIMITS: SamplingLimits = {
  statementTimeoutMs: 5000,
  topStatements: 50,
  topTables: 50,
  topIndexes: 100,
};
const log = rootLogger.child({ component: 'test-probe-contracts' });

let seq = 0;
function connect(server: ProbeContractServer, dsn: string): Promise<EngineSession> {
  seq += 1;
  return drivers[server.engine].connect(
    { name: `contract-${seq}`, engine: server.engine, dsn, poolerDsn: null },
    LIMITS,
    log,
  );
}

async function attempt(server: ProbeContractServer, dsn: string): Promise<AgentError | null> {
  return connect(server, dsn).then(
    async (session) => {
      await session.close();
      return null;
    },
    (error: unknown) => error as AgentError,
  );
}

interface Sampled {
  connections: ConnectionSignals;
  statements: StatementSignals;
  cache: CacheSignals;
  tables: TableSignals;
}

async function sample<K extends keyof Sampled>(session: EngineSession, probe: K): Promise<Sampled[K]> {
  const outcome = await session.sample(probe);
  if (outcome.status !== 'ok') throw new Error(`${probe}: ${outcome.reason}`);
  const signals = outcome.signals[probe];
  if (!signals) throw new Error(`${probe} returned no signals`);
  return signals as Sampled[K];
}

const statements = (session: EngineSession) => sample(session, 'statements');

/** Plain sessions on the server (not the agent's): for the faults, closed at the end. */
async function withSessions<T>(
  s: ProbeContractServer,
  count: number,
  body: (sessions: SandboxSession[]) => Promise<T>,
): Promise<T> {
  const side = await loadSandboxEngine(s.engine);
  const sessions: SandboxSession[] = [];
  try {
    for (let i = 0; i < count; i++) sessions.push(await side.connect(s.appDsn));
    return await body(sessions);
  } finally {
    for (const session of sessions) await session.close();
  }
}

/** Registers the shared contracts as tests of the surrounding describe; `server()` is read when they run. */
export function probeContracts(server: () => ProbeContractServer): void {
  it('counts held connections and its own slot against max minus reserved; sees idle in transaction, a lock wait and the oldest transaction, never its own', async () => {
    const s = server();
    const agent = await connect(s, s.agentDsn);
    const side = await loadSandboxEngine(s.engine);
    const own = s.ownSessionCountedActive ? 1 : 0;
    try {
      const before = await sample(agent, 'connections');
      expect(before.used).toBe(s.sessionsAtStart + 1);
      expect(before.max).toBe(s.slots.max);
      expect(before.reserved).toBe(s.slots.reserved);
      expect(before.maxSetting).toBe(s.slots.setting);
      await withSessions(s, 5, async (held) => {
        const [idle, locker, waiter] = held as [SandboxSession, SandboxSession, SandboxSession];
        const expectedUsed = s.sessionsAtStart + held.length + 1; // the agent's own slot is taken too
        const all = await until(
          () => sample(agent, 'connections'),
          (c) => c.used === expectedUsed,
          'held connections',
        );
        expect(all.byState.idle).toBeGreaterThanOrEqual(held.length);
        expect(all.byState.active).toBe(own);
        expect(all.used / (all.max - all.reserved)).toBeCloseTo(
          expectedUsed / (s.slots.max - s.slots.reserved),
          10,
        );

        await side.faults.idleInTransaction(idle, s.faultTables.idle);
        await side.faults.lockTable(locker, s.faultTables.locked);
        const waiting = waiter.query(`SELECT count(*) AS n FROM ${s.faultTables.locked}`);
        await new Promise((r) => setTimeout(r, 1200));
        const idleInTransaction = 1 + (s.lockHolderInTransaction ? 1 : 0);
        const c = await until(
          () => sample(agent, 'connections'),
          (x) => x.byState.waitingLock === 1 && x.byState.idleInTransaction === idleInTransaction,
          'idle in transaction and a lock wait',
        );
        expect(c.used).toBe(expectedUsed);
        expect(c.byState.idleInTransaction).toBe(idleInTransaction);
        expect(c.byState.waitingLock).toBe(1);
        expect(c.byState.active).toBe(own); // the agent itself, running the probe, where it counts
        expect(c.oldestIdleInTransactionSeconds).toBeGreaterThanOrEqual(1);
        expect(c.oldestTransactionSeconds).toBeGreaterThanOrEqual(c.oldestIdleInTransactionSeconds!);
        expect(c.perConnectionMemoryBytes).toBeGreaterThan(0);

        await side.faults.unlockTable(locker);
        await waiting;
        await side.faults.endTransaction(idle);
        const after = await until(
          () => sample(agent, 'connections'),
          (x) => x.byState.idleInTransaction === 0 && x.byState.waitingLock === 0,
          'transactions ended',
        );
        // Its own session never counts as the oldest transaction.
        expect(after.oldestTransactionSeconds).toBeNull();
        expect(after.oldestIdleInTransactionSeconds).toBeNull();
      });
    } finally {
      await agent.close();
    }
  });

  it('sees a full scan in the table counters and in its statement, and never its own statements', async () => {
    const s = server();
    const agent = await connect(s, s.agentDsn);
    try {
      const tablesBefore = await sample(agent, 'tables');
      const statementsBefore = await statements(agent);
      await s.scan.run();
      const tablesAfter = await until(
        () => sample(agent, 'tables'),
        (t) =>
          (t.tables.find((x) => x.table === s.scan.table)?.seqRowsRead ?? 0) -
            (tablesBefore.tables.find((x) => x.table === s.scan.table)?.seqRowsRead ?? 0) >=
          3 * s.scan.rows,
        `full scans of ${s.scan.table}`,
      );
      const statementsAfter = await statements(agent);
      const table = tableRates(tablesBefore, tablesAfter)?.items.find((t) => t.table === s.scan.table);
      if (s.scan.exactCounts) {
        expect(table?.seqScans).toBe(3);
        expect(table?.seqRowsRead).toBe(3 * s.scan.rows);
      } else {
        expect(table?.seqScans).toBeGreaterThanOrEqual(2.5);
        expect(table?.seqScans).toBeLessThanOrEqual(3.5);
        expect(table?.seqRowsRead).toBeGreaterThanOrEqual(3 * s.scan.rows);
      }
      const rate = statementRates(statementsBefore, statementsAfter)?.items.find((x) =>
        s.scan.fingerprint.test(x.fingerprint),
      );
      expect(rate?.calls).toBe(3);
      expect(rate?.totalSeconds).toBeGreaterThan(0);
      s.scan.check(
        rate!,
        statementsAfter.statements.find((x) => x.id === rate?.id),
      );

      for (let i = 0; i < 3; i++) for (const probe of agent.probes) await agent.sample(probe);
      const own = (await statements(agent)).statements.filter(
        (x) => s.ownStatement.test(x.fingerprint) || s.ownStatement.test(x.sample ?? ''),
      );
      expect(own).toEqual([]);
    } finally {
      await agent.close();
    }
  });

  it('gives indexes their columns in order, prefixes, expressions and predicates, and foreign keys with columns', async () => {
    const s = server();
    const agent = await connect(s, s.agentDsn);
    try {
      await s.catalog.prepare();
      const t = await sample(agent, 'tables');
      for (const index of s.catalog.indexes) expect(t.indexes).toContainEqual(expect.objectContaining(index));
      for (const table of s.catalog.tables) expect(t.tables.map((x) => x.table)).toContain(table);
      expect(t.foreignKeys).toContainEqual(s.catalog.foreignKey);
      s.catalog.check(t);
    } finally {
      await agent.close();
    }
  });

  it('shows the interval cache-hit ratio fall when data the cache cannot hold is read', async () => {
    const s = server();
    const agent = await connect(s, s.agentDsn);
    try {
      await s.cache.prepare();
      await s.cache.warm();
      const first = await sample(agent, 'cache');
      await s.cache.warm();
      const warm = await sample(agent, 'cache');
      await s.cache.cold();
      const cold = await sample(agent, 'cache');
      const warmRate = cacheRate(first, warm)?.items;
      const coldRate = cacheRate(warm, cold)?.items;
      expect(warmRate?.ratio).toBeGreaterThan(s.cache.warmAbove);
      expect(coldRate?.reads).toBeGreaterThan(100);
      expect(coldRate?.ratio).toBeLessThan(s.cache.coldBelow);
      expect(coldRate!.ratio!).toBeLessThan(warmRate!.ratio! - 0.05);
      expect(cold.sizeBytes).toBe(s.cache.sizeBytes);
    } finally {
      await agent.close();
    }
    // data size is re-read every few minutes; a new session reads it at once
    const fresh = await connect(s, s.agentDsn);
    try {
      expect((await sample(fresh, 'cache')).dataBytes).toBeGreaterThan(s.cache.minDataBytes);
    } finally {
      await fresh.close();
    }
  });

  it('runs every probe on the least-privilege login of README without an error', async () => {
    const s = server();
    const session = await connect(s, await s.leastPrivilege.dsn());
    try {
      for (const probe of session.probes) {
        const outcome = await session.sample(probe);
        if (s.leastPrivilege.unsupported.includes(probe)) expect(outcome.status, probe).toBe('unsupported');
        else expect(outcome, probe).toMatchObject({ status: 'ok' });
      }
      await s.leastPrivilege.check(session);
    } finally {
      await session.close();
    }
  });

  it('classifies connect failures with a one-line reason, never showing the password', async () => {
    const s = server();
    const unknownDb = await attempt(s, s.unknownDatabase.dsn);
    expect(unknownDb?.code).toBe('unknown-database');
    expect(unknownDb?.message).toContain(s.unknownDatabase.name);
    const badDsn = await attempt(s, s.badDsn);
    expect(badDsn?.code).toBe('bad-dsn');
    expect(badDsn?.message).not.toContain(':b@');
    expect(badDsn?.message).not.toContain('\n');
    const badLogin = await attempt(s, s.badLoginDsn);
    expect(badLogin?.code).toBe('auth-failed');
    expect(badLogin?.message).not.toContain('\n');
  });

  it('gives no negative rate when the statement statistics are reset between samples', async () => {
    const s = server();
    const session = await connect(s, s.adminDsn);
    try {
      for (let i = 0; i < 5; i++) await s.run(s.lookup.sql, [i]);
      const before = await statements(session);
      await s.resetStatements();
      await s.run(s.lookup.sql, [42]);
      const after = await statements(session);
      const rates = statementRates(before, after);
      expect(rates?.resetSeen).toBe(true);
      expect(rates?.items.length).toBeGreaterThan(0);
      for (const item of rates?.items ?? []) {
        expect(item.calls).toBeGreaterThanOrEqual(0);
        expect(item.totalSeconds).toBeGreaterThanOrEqual(0);
        expect(item.rows).toBeGreaterThanOrEqual(0);
      }
      expect(rates?.items.find((item) => s.lookup.fingerprint.test(item.fingerprint))?.calls).toBe(1);
    } finally {
      await session.close();
    }
  });
}
