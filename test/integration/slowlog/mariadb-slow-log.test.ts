import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlowLogTracker } from '../../../agent/slowlog/follow.js';
import { digestInputs } from '../../../agent/slowlog/read.js';
import { startLocalMariadb, type TestMysqlServer } from '../../support/mysql.js';

// A real MariaDB with the slow log on (long_query_time = 0) runs a known workload through
// mysql2 (text protocol with literals, prepared statements, IN lists, multi-row inserts); the
// digest of its slow log, and a tracker following it live, count exactly the workload.

let server: TestMysqlServer;
let tracker: SlowLogTracker;

const SELECTS = 40;
const PREPARED = 25;
const IN_LISTS = 10;
const INSERTS = 8;

beforeAll(async () => {
  server = await startLocalMariadb({ slowLog: true });
  await server.exec(
    'CREATE DATABASE slowtest; CREATE TABLE slowtest.wo (id int PRIMARY KEY, state varchar(20), note varchar(40))',
  );
  await server.exec(
    "INSERT INTO slowtest.wo SELECT seq, 'open', concat('n', seq) FROM slowtest.seq_1_to_500",
  );
  // the tracker starts at the end of the log: the setup above is not counted
  tracker = new SlowLogTracker({ path: server.slowLogPath!, pollMs: 60_000 });
  await tracker.start();
  const conn = await mysql.createConnection({ uri: server.urlFor('root', '', 'slowtest') });
  try {
    for (let i = 0; i < SELECTS; i++) await conn.query(`SELECT state FROM wo WHERE id = ${i + 1}`);
    for (let i = 0; i < PREPARED; i++)
      await conn.execute('SELECT note FROM wo WHERE id = ? AND state = ?', [i + 1, "o'pen"]);
    for (let i = 0; i < IN_LISTS; i++) {
      await conn.query(
        `SELECT count(*) FROM wo WHERE id IN (${Array.from({ length: i + 1 }, (_, k) => k + 1).join(',')})`,
      );
    }
    for (let i = 0; i < INSERTS; i++) {
      const rows = Array.from({ length: i + 1 }, (_, k) => `(${1000 + i * 100 + k}, 'new', 'x')`);
      await conn.query(`/* trace_id=${i}f00 */ INSERT INTO wo VALUES ${rows.join(', ')}`);
    }
    await conn.query('SELECT 4242 AS slowlog_done');
  } finally {
    await conn.end();
  }
}, 180_000);

afterAll(async () => {
  await tracker?.stop();
  await server?.destroy();
});

function expectWorkload(
  classes: Array<{ fingerprint: string; count: number; sample: string | null; databases: string[] }>,
): void {
  const byFp = new Map(classes.map((c) => [c.fingerprint, c]));
  expect(byFp.get('select state from wo where id = ?')?.count).toBe(SELECTS);
  const prepared = byFp.get('select note from wo where id = ? and state = ?');
  expect(prepared?.count).toBe(PREPARED);
  expect(prepared?.sample).toMatch(/^SELECT note FROM wo WHERE id = \d+ AND state = 'o\\'pen'$/);
  expect(byFp.get('select count(*) from wo where id in(?+)')?.count).toBe(IN_LISTS);
  expect(byFp.get('insert into wo values(?+)')?.count).toBe(INSERTS);
  expect(byFp.get('select state from wo where id = ?')?.databases).toEqual(['slowtest']);
}

describe('digest of a real MariaDB slow log', () => {
  it('counts and fingerprints match the workload', async () => {
    const { digest, inputs } = await digestInputs([server.slowLogPath!]);
    expect(inputs[0]!.format).toBe('mysql');
    expect(digest.skips.summary()).toEqual({ lines: 0, reasons: {}, examples: [] });
    expectWorkload(digest.classes());
    const select = digest.classes().find((c) => c.fingerprint === 'select state from wo where id = ?')!;
    expect(select.users).toEqual(['root']);
    expect(select.hosts).toEqual(['127.0.0.1']); // the server does not resolve names
    expect(select.rowsSent).toBe(SELECTS);
    expect(select.rowsExamined).toBe(SELECTS);
  });

  it('the tracker following the log counts the same, and nothing from before it started', async () => {
    await tracker.poll();
    await tracker.poll();
    const signals = tracker.signals();
    expectWorkload(signals.classes);
    expect(signals.classes.find((c) => c.fingerprint.startsWith('create database'))).toBeUndefined();
    expect(signals.linesSkipped).toBe(0);
  });
});
