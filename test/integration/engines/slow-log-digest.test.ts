import { existsSync, readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxServer } from '../../../agent/sandbox/server.js';
import { SlowLogTracker } from '../../../agent/slowlog/follow.js';
import { digestInputs } from '../../../agent/slowlog/read.js';
import { type EngineFixture, mariadbFixture, postgresFixture } from '../../support/engines.js';

// A real server logs every statement (the sandbox's slowLog: PostgreSQL's log_min_duration_statement
// = 0, MariaDB's slow log with long_query_time = 0); a known workload runs through the usual
// driver (literals, prepared statements with parameters, IN lists, multi-row inserts); every log
// the server writes digests to exactly the workload, and a tracker following it live counts the
// same. One suite for both engines; what differs (log files, driver, how a sample shows a bound
// value) is in the per-engine case below.

const SELECTS = 40;
const PREPARED = 25;
const IN_LISTS = 10;
const INSERTS = 8;

interface Client {
  /** literal SQL, text protocol */
  query(sql: string): Promise<void>;
  /** a prepared statement with bound parameters (extended protocol / COM_STMT_EXECUTE) */
  prepared(sql: string, params: unknown[]): Promise<void>;
  end(): Promise<void>;
}

interface SlowLogCase {
  fixture: EngineFixture;
  settings: Record<string, string>;
  /** creates table wo (id, state, note) with 500 rows; returns the database the workload runs in */
  setup(server: SandboxServer): Promise<string>;
  client(server: SandboxServer, database: string): Promise<Client>;
  /** every log file the server writes, with the format the digest must detect */
  logs(server: SandboxServer): { path: string; format: string }[];
  /** the worst sample of the prepared statement, with its bound values as the log shows them */
  preparedSample: RegExp;
  user: string;
  /** what this engine's log alone carries about the literal SELECT */
  extra(select: { hosts: string[]; rowsSent: number; rowsExamined: number }): void;
}

const postgresCase: SlowLogCase = {
  fixture: postgresFixture(15),
  // the same statements in the stderr log, the CSV log and the JSON log (15+)
  settings: { log_destination: 'stderr,csvlog,jsonlog', log_min_messages: 'warning' },
  async setup(server) {
    await server.query(
      `CREATE TABLE wo (id int PRIMARY KEY, state text, note text);
       INSERT INTO wo SELECT g, 'open', 'n' || g FROM generate_series(1, 500) g`,
    );
    return 'postgres';
  },
  async client(server, database) {
    const client = new pg.Client({ connectionString: server.dsn({ database }) });
    await client.connect();
    return {
      query: async (sql) => void (await client.query(sql)),
      prepared: async (sql, params) => {
        let n = 0;
        await client.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params,
        );
      },
      end: () => client.end(),
    };
  },
  logs: (server) => {
    const base = server.slowLogPath!.replace(/\.log$/, '');
    return [
      { path: `${base}.log`, format: 'postgres-stderr' },
      { path: `${base}.csv`, format: 'postgres-csv' },
      { path: `${base}.json`, format: 'postgres-json' },
    ];
  },
  // extended protocol: the bound values are logged as quoted literals
  preparedSample: /^SELECT note FROM wo WHERE id = '\d+' AND state = 'o''pen'$/,
  user: 'postgres',
  extra: () => undefined,
};

const mariadbCase: SlowLogCase = {
  fixture: mariadbFixture,
  settings: {},
  async setup(server) {
    await server.query(
      `CREATE DATABASE slowtest; CREATE TABLE slowtest.wo (id int PRIMARY KEY, state varchar(20), note varchar(40));
       INSERT INTO slowtest.wo SELECT seq, 'open', concat('n', seq) FROM slowtest.seq_1_to_500`,
    );
    return 'slowtest';
  },
  async client(server, database) {
    const conn = await mysql.createConnection({ uri: server.dsn({ database }) });
    return {
      query: async (sql) => void (await conn.query(sql)),
      prepared: async (sql, params) => void (await conn.execute(sql, params as (string | number)[])),
      end: () => conn.end(),
    };
  },
  logs: (server) => [{ path: server.slowLogPath!, format: 'mysql' }],
  // the slow log shows a prepared statement with its values in place, escaped as MariaDB does
  preparedSample: /^SELECT note FROM wo WHERE id = \d+ AND state = 'o\\'pen'$/,
  user: 'root',
  extra: (select) => {
    expect(select.hosts).toEqual(['127.0.0.1']); // the server does not resolve names
    expect(select.rowsSent).toBe(SELECTS);
    expect(select.rowsExamined).toBe(SELECTS);
  },
};

async function waitFor(path: string, marker: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (existsSync(path) && readFileSync(path, 'utf8').includes(marker)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${path} never logged ${marker}`);
}

type DigestClass = {
  fingerprint: string;
  count: number;
  sample: string | null;
  databases: string[];
};

describe.each([postgresCase, mariadbCase])(
  'digest of a real $fixture.label statement log',
  (c: SlowLogCase) => {
    let server: SandboxServer;
    let tracker: SlowLogTracker;
    let database: string;

    function expectWorkload(classes: DigestClass[]): void {
      const byFp = new Map(classes.map((k) => [k.fingerprint, k]));
      expect(byFp.get('select state from wo where id = ?')?.count).toBe(SELECTS);
      expect(byFp.get('select state from wo where id = ?')?.databases).toEqual([database]);
      const prepared = byFp.get('select note from wo where id = ? and state = ?');
      expect(prepared?.count).toBe(PREPARED);
      expect(prepared?.sample).toMatch(c.preparedSample);
      expect(byFp.get('select count(*) from wo where id in(?+)')?.count).toBe(IN_LISTS);
      expect(byFp.get('insert into wo values(?+)')?.count).toBe(INSERTS);
    }

    beforeAll(async () => {
      server = await c.fixture.startSandbox({ slowLog: true, settings: c.settings });
      database = await c.setup(server);
      for (const log of c.logs(server)) await waitFor(log.path, 'wo');
      // the tracker starts at the end of the log: the setup above is not counted
      tracker = new SlowLogTracker({ path: c.logs(server)[0]!.path, pollMs: 60_000 });
      await tracker.start();
      const client = await c.client(server, database);
      try {
        for (let i = 0; i < SELECTS; i++) await client.query(`SELECT state FROM wo WHERE id = ${i + 1}`);
        for (let i = 0; i < PREPARED; i++)
          await client.prepared('SELECT note FROM wo WHERE id = ? AND state = ?', [i + 1, "o'pen"]);
        for (let i = 0; i < IN_LISTS; i++) {
          const ids = Array.from({ length: i + 1 }, (_, k) => k + 1);
          await client.query(`SELECT count(*) FROM wo WHERE id IN (${ids.join(', ')})`);
        }
        for (let i = 0; i < INSERTS; i++) {
          const rows = Array.from(
            { length: i + 1 },
            (_, k) => `(${1000 + i * 100 + k}, 'new', /* row */ 'x')`,
          );
          await client.query(`/* trace_id=${i.toString(16)}abc */ INSERT INTO wo VALUES ${rows.join(', ')}`);
        }
        await client.query('SELECT 4242 AS slowlog_done');
      } finally {
        await client.end();
      }
      for (const log of c.logs(server)) await waitFor(log.path, 'slowlog_done');
    }, 180_000);

    afterAll(async () => {
      await tracker?.stop();
      await server?.destroy();
    });

    it('every log the server writes digests to exactly the workload, fingerprinted', async () => {
      for (const log of c.logs(server)) {
        const { digest, inputs } = await digestInputs([log.path]);
        expect(inputs[0]!.format, log.path).toBe(log.format);
        expect(digest.skips.summary(), log.path).toEqual({ lines: 0, reasons: {}, examples: [] });
        expectWorkload(digest.classes());
        const select = digest.classes().find((k) => k.fingerprint === 'select state from wo where id = ?')!;
        expect(select.users).toEqual([c.user]);
        expect(select.sample).toMatch(/^SELECT state FROM wo WHERE id = \d+$/);
        expect(select.firstSeenAt).not.toBeNull();
        expect(Math.abs(select.lastSeenAt! - Date.now())).toBeLessThan(10 * 60_000);
        c.extra(select);
      }
    });

    it('the tracker following the log counts the same, and nothing from before it started', async () => {
      await tracker.poll();
      await tracker.poll();
      const signals = tracker.signals();
      expectWorkload(signals.classes);
      expect(signals.classes.find((k) => k.fingerprint.startsWith('create '))).toBeUndefined();
      expect(signals.linesSkipped).toBe(0);
    });
  },
);
