import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestInputs } from '../../../agent/slowlog/read.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import { chownTree, serverUser } from '../../support/run-as.js';

// A real PostgreSQL 15 logs every statement (log_min_duration_statement = 0) to stderr, csvlog
// and jsonlog files at once; a known workload runs through node-postgres (simple protocol with
// literals, extended protocol with $n parameters); each log digests to the workload's counts.

let server: PostgresServer;
let client: pg.Client;
let logDir = '';

const SELECTS = 40;
const PREPARED = 30;
const IN_LISTS = 12;
const INSERTS = 9;

async function waitFor(path: string, marker: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (existsSync(path) && readFileSync(path, 'utf8').includes(marker)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${path} never logged ${marker}`);
}

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'dbdiag-pglog-'));
  chownTree(logDir, serverUser(['postgres']));
  server = await startPostgres({
    version: 15,
    needs: { control: true },
    settings: {
      logging_collector: 'on',
      log_directory: logDir,
      log_filename: 'pg.log',
      log_destination: 'stderr,csvlog,jsonlog',
      log_line_prefix: '%m [%p] %q%u@%d ',
      log_min_duration_statement: 0,
      log_min_messages: 'warning',
    },
  });
  if (server.source !== 'binaries')
    throw new Error('this test needs a PostgreSQL it starts itself (log files on this machine)');
  client = await server.connect({ applicationName: 'slowlog-test' });
  await client.query('CREATE TABLE slowlog_wo (id int PRIMARY KEY, state text, note text)');
  await client.query("INSERT INTO slowlog_wo SELECT g, 'open', 'n' || g FROM generate_series(1, 500) g");
  for (let i = 0; i < SELECTS; i++) await client.query(`SELECT state FROM slowlog_wo WHERE id = ${i + 1}`);
  for (let i = 0; i < PREPARED; i++)
    await client.query('SELECT note FROM slowlog_wo WHERE id = $1 AND state = $2', [i + 1, "o'pen"]);
  for (let i = 0; i < IN_LISTS; i++) {
    const ids = Array.from({ length: i + 1 }, (_, k) => k + 1);
    await client.query(`SELECT count(*) FROM slowlog_wo WHERE id IN (${ids.join(', ')})`);
  }
  for (let i = 0; i < INSERTS; i++) {
    const rows = Array.from({ length: i + 1 }, (_, k) => `(${1000 + i * 100 + k}, 'new', /* row */ 'x')`);
    await client.query(
      `/* trace_id=${i.toString(16)}abc */ INSERT INTO slowlog_wo VALUES ${rows.join(', ')}`,
    );
  }
  await client.query('SELECT 4242 AS slowlog_done');
  for (const ext of ['log', 'csv', 'json']) await waitFor(join(logDir, `pg.${ext}`), 'slowlog_done');
}, 180_000);

afterAll(async () => {
  await client?.end();
  await server?.stop();
  if (logDir !== '') rmSync(logDir, { recursive: true, force: true });
});

describe('digest of a real PostgreSQL log', () => {
  for (const [ext, format] of [
    ['log', 'postgres-stderr'],
    ['csv', 'postgres-csv'],
    ['json', 'postgres-json'],
  ] as const) {
    it(`${format}: counts and fingerprints match the workload`, async () => {
      const { digest, inputs } = await digestInputs([join(logDir, `pg.${ext}`)]);
      expect(inputs[0]!.format).toBe(format);
      expect(digest.skips.summary()).toEqual({ lines: 0, reasons: {}, examples: [] });
      const byFp = new Map(digest.classes().map((c) => [c.fingerprint, c]));
      expect(byFp.get('select state from slowlog_wo where id = ?')?.count).toBe(SELECTS);
      const prepared = byFp.get('select note from slowlog_wo where id = ? and state = ?');
      expect(prepared?.count).toBe(PREPARED);
      // extended protocol: the worst sample carries the bound values
      expect(prepared?.sample).toMatch(/^SELECT note FROM slowlog_wo WHERE id = '\d+' AND state = 'o''pen'$/);
      expect(byFp.get('select count(*) from slowlog_wo where id in(?+)')?.count).toBe(IN_LISTS);
      expect(byFp.get('insert into slowlog_wo values(?+)')?.count).toBe(INSERTS);
      const select = byFp.get('select state from slowlog_wo where id = ?')!;
      expect(select.databases).toEqual(['postgres']);
      expect(select.users).toEqual(['postgres']);
      expect(select.sample).toMatch(/^SELECT state FROM slowlog_wo WHERE id = \d+$/);
      expect(select.firstSeenAt).not.toBeNull();
      expect(Math.abs(select.lastSeenAt! - Date.now())).toBeLessThan(10 * 60_000);
    });
  }
});
