import { expect, it } from 'vitest';
import { loadSandboxEngine } from '../../../agent/sandbox/engines.js';
import type { SandboxSession } from '../../../agent/sandbox/server.js';
import type { EngineName } from '../../../agent/snapshot/signals.js';
import { advisedTarget } from './support.js';

// Finding kinds both engines raise from the same real condition, written once (as kysely runs
// one suite per dialect): idle-in-transaction and long-running-transaction, low-cache-hit,
// extension-missing, duplicate-index and unused-index. Each engine's advisor suite
// (test/integration/advisors/<engine>.test.ts) calls them inside its own describe, on the
// server it already started; what differs per engine is the AdvisorContractServer it hands in
// (its SQL, names and settings: a per-engine fixture, never an `if engine` here). Sessions and
// the idle transaction come from the sandbox module's engine side (agent/sandbox/engines.ts).
// What only one engine has (the plant incident with HypoPG, the sandbox-build proof, the
// fk-without-index and dead-row kinds of PostgreSQL; DATA_FREE bloat and EXPLAIN-only
// missing-index of MySQL) stays in its own file.

export interface AdvisorContractServer {
  engine: EngineName;
  /** a new database for one test (PostgreSQL: with pg_stat_statements and HypoPG): its DSN */
  database(name: string): Promise<string>;
  /** the schema its tables are in, as finding objects name them (PostgreSQL public, MySQL the database) */
  schemaOf(database: string): string;
  sql: {
    /** creates items (id primary key, a, b) with `rows` rows, and the indexes items_a (a) and items_a_b (a, b) */
    items(rows: number): string;
    /** creates `big`, far bigger than the server's buffer cache */
    bigTable: string;
    /** reads all of `big` once */
    scanBig: string;
    /** a statement that runs for `seconds` */
    sleep(seconds: number): string;
  };
  /** the name of the primary key index of items */
  itemsPrimaryKey: string;
  cache: {
    /** rounds of full scans of `big`, a cycle after each */
    rounds: number;
    scansPerRound: number;
    /** the setting the fix raises */
    setting: RegExp;
  };
  /** a target without statement statistics, the object of its finding and what the fix turns on */
  withoutStatementStatistics(): Promise<{ dsn: string; object: string; fix: RegExp; done(): Promise<void> }>;
}

async function session(s: AdvisorContractServer, dsn: string): Promise<SandboxSession> {
  return (await loadSandboxEngine(s.engine)).connect(dsn);
}

/** Runs SQL on a short-lived session: a PostgreSQL backend flushes its statistics when it exits. */
async function runAndFlush(s: AdvisorContractServer, dsn: string, sql: string): Promise<void> {
  const c = await session(s, dsn);
  try {
    await c.query(sql);
  } finally {
    await c.close();
  }
  await new Promise((r) => setTimeout(r, 300));
}

/** Registers the shared advisor contracts as tests of the surrounding describe; `server()` is read when they run. */
export function advisorContracts(server: () => AdvisorContractServer): void {
  it('idle-in-transaction and long-running-transaction, each from its own condition', async () => {
    const s = server();
    const dsn = await s.database('txs');
    await runAndFlush(s, dsn, s.sql.items(100));
    const side = await loadSandboxEngine(s.engine);
    const idle = await side.connect(dsn);
    const busy = await side.connect(dsn);
    const items = `${s.schemaOf('txs')}.items`;
    const target = advisedTarget(s.engine, dsn, { idleInTransactionSeconds: 1, longTransactionSeconds: 3 });
    try {
      await side.faults.idleInTransaction(idle, items);
      await new Promise((r) => setTimeout(r, 1500));
      await target.cycle();
      expect(target.of('idle-in-transaction').map((f) => f.object)).toEqual(['sessions']);
      expect(target.of('long-running-transaction')).toEqual([]);
      await side.faults.endTransaction(idle);

      await side.faults.idleInTransaction(busy, items);
      const running = busy.query(s.sql.sleep(6)).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 4000));
      await target.cycle();
      expect(target.of('long-running-transaction').map((f) => f.kind)).toEqual(['long-running-transaction']);
      expect(target.of('idle-in-transaction')).toEqual([]);
      await running;
      await side.faults.endTransaction(busy);
    } finally {
      await target.stop();
      await idle.close();
      await busy.close();
    }
  });

  it('low-cache-hit: scanning a table far bigger than the buffer cache churns it', async () => {
    const s = server();
    const dsn = await s.database('cachechurn');
    await runAndFlush(s, dsn, s.sql.bigTable);
    const c = await session(s, dsn);
    const target = advisedTarget(s.engine, dsn, { cacheHitSamples: 2, cacheMinBlockRequests: 100 });
    try {
      await target.cycle();
      for (let round = 0; round < s.cache.rounds; round++) {
        for (let i = 0; i < s.cache.scansPerRound; i++) await c.query(s.sql.scanBig);
        await target.cycle();
      }
      const [f] = target.of('low-cache-hit');
      expect(f?.kind).toBe('low-cache-hit');
      const ratios = (f?.evidence.intervalRatios ?? []) as number[];
      expect(ratios.length).toBe(2);
      expect(ratios.every((r) => r < 0.99)).toBe(true);
      expect(f?.fix?.statements.join('\n')).toMatch(s.cache.setting);
    } finally {
      await target.stop();
      await c.close();
    }
  });

  it('extension-missing without statement statistics, with what turns them on', async () => {
    const s = server();
    const bare = await s.withoutStatementStatistics();
    const target = advisedTarget(s.engine, bare.dsn);
    try {
      await target.cycle();
      const found = target.of('extension-missing');
      expect(found.map((f) => f.object)).toEqual([bare.object]);
      expect(found[0]?.fix?.statements.join('\n')).toMatch(bare.fix);
    } finally {
      await target.stop();
      await bare.done();
    }
  });

  it('duplicate-index and unused-index from real indexes, never the primary key', async () => {
    const s = server();
    const dsn = await s.database('dupes');
    await runAndFlush(s, dsn, s.sql.items(20_000));
    const schema = s.schemaOf('dupes');
    const target = advisedTarget(s.engine, dsn, { unusedIndexMinStatsAgeSeconds: 0, unusedIndexMinBytes: 0 });
    try {
      await target.cycle();
      expect(target.of('duplicate-index').map((f) => f.object)).toEqual([`${schema}.items.items_a`]);
      const unused = target.of('unused-index').map((f) => f.object);
      expect(unused).toEqual(expect.arrayContaining([`${schema}.items.items_a_b`]));
      expect(unused).not.toContain(`${schema}.items.${s.itemsPrimaryKey}`);
    } finally {
      await target.stop();
    }
  });
}
