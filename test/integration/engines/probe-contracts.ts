import { expect, it } from 'vitest';
import { drivers } from '../../../agent/engines/drivers.js';
import type { EngineSession, SamplingLimits } from '../../../agent/engines/engine.js';
import type { AgentError } from '../../../agent/errors.js';
import { rootLogger } from '../../../agent/log.js';
import { statementRates } from '../../../agent/snapshot/rates.js';
import type { EngineName, StatementSignals } from '../../../agent/snapshot/signals.js';

// Probe contracts every engine keeps, written once (as kysely runs one suite per dialect).
// Each engine's probe suite (test/integration/<engine>/probes.test.ts) calls them inside its own
// describe, on the server it already started, so no server is started twice for them; what
// differs per engine is the small ProbeContractServer it hands in.

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

async function statements(session: EngineSession): Promise<StatementSignals> {
  const outcome = await session.sample('statements');
  if (outcome.status !== 'ok') throw new Error(`statements: ${outcome.reason}`);
  return outcome.signals.statements!;
}

/** Registers the shared contracts as tests of the surrounding describe; `server()` is read when they run. */
export function probeContracts(server: () => ProbeContractServer): void {
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
