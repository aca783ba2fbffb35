import mysql from 'mysql2/promise';
import type pg from 'pg';
import { startLocalMariadb } from '../support/mysql.js';
import { startPostgres } from '../support/postgres.js';
import type { AdvisorCase, Engine, ExpectedIndex } from './cases.js';
import { ALL_CASES, HELD_OUT_HALF, TUNING_HALF } from './eval.js';
import { loadMysql, loadPostgres } from './harness.js';

// `npm run verify:advisor-cases [-- --held-out|--tuning] [--engine postgres|mysql] [--case h01]`:
// the ground truth checked with real indexes, not with the advisor's estimate. For each case
// it runs the case's workload (inside a transaction that is rolled back, so writes repeat),
// then creates each expected index for real and runs it again, then each must-not index.
// It prints the measured time per run of the workload (client wall clock, best of 3) and the
// verdict: an expected index must make the workload at least 2x faster; a must-not index must
// not pay for itself (under 1.5x faster, or under 0.5 ms saved per run of the workload).
// Figures taken on a shared machine are noisy.

const REPEATS = 3;
const ITERATIONS = 5;

interface Runner {
  /** best of REPEATS, ms per run of the whole workload */
  time(c: AdvisorCase): Promise<number>;
  create(e: ExpectedIndex, name: string): Promise<void>;
  drop(table: string, name: string): Promise<void>;
}

function pgIndexDdl(e: ExpectedIndex, name: string): string {
  const key = e.columns
    .map((c) => `${c.includes('(') ? `(${c})` : c}${e.opclass?.[c] ? ` ${e.opclass[c]}` : ''}`)
    .join(', ');
  return `CREATE INDEX ${name} ON ${e.table} (${key})${e.include?.length ? ` INCLUDE (${e.include.join(', ')})` : ''}${
    e.where ? ` WHERE ${e.where}` : ''
  }`;
}

function myIndexDdl(e: ExpectedIndex, name: string): string {
  const key = [
    ...e.columns.map((c) => (e.prefix?.[c] ? `${c}(${e.prefix[c].min})` : c)),
    ...(e.include ?? []),
  ];
  return `ALTER TABLE ${e.table} ADD INDEX ${name} (${key.join(', ')})`;
}

async function best(run: () => Promise<void>): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < REPEATS; r++) {
    const start = process.hrtime.bigint();
    for (let k = 0; k < ITERATIONS; k++) await run();
    min = Math.min(min, Number(process.hrtime.bigint() - start) / 1e6 / ITERATIONS);
  }
  return min;
}

function pgRunner(client: pg.Client): Runner {
  return {
    time: (c) =>
      best(async () => {
        await client.query('BEGIN');
        for (const s of c.workload) {
          let n = 0;
          const sql = s.sql.replace(/\?/g, () => `$${++n}`);
          for (let i = 0; i < (s.calls ?? 10); i++) await client.query(sql, s.params(i));
        }
        await client.query('ROLLBACK');
      }),
    create: async (e, name) => {
      await client.query(pgIndexDdl(e, name));
      await client.query(`ANALYZE ${e.table}`);
    },
    drop: async (_table, name) => {
      await client.query(`DROP INDEX ${name}`);
    },
  };
}

function myRunner(conn: mysql.Connection): Runner {
  return {
    time: (c) =>
      best(async () => {
        await conn.query('BEGIN');
        for (const s of c.workload)
          for (let i = 0; i < (s.calls ?? 10); i++) await conn.query(conn.format(s.sql, s.params(i)));
        await conn.query('ROLLBACK');
      }),
    create: async (e, name) => {
      await conn.query(myIndexDdl(e, name));
      await conn.query(`ANALYZE TABLE ${e.table}`);
    },
    drop: async (table, name) => {
      await conn.query(`ALTER TABLE ${table} DROP INDEX ${name}`);
    },
  };
}

const applies = (engine: Engine) => (e: ExpectedIndex) => !e.engines || e.engines.includes(engine);

async function verify(engine: Engine, runner: Runner, cases: readonly AdvisorCase[]): Promise<number> {
  let failures = 0;
  for (const c of cases) {
    const base = await runner.time(c);
    const table = c.tables[0]?.name.split('_')[0] ?? 'case';
    process.stdout.write(`${engine} ${table} ${c.name}: workload ${base.toFixed(1)} ms without\n`);
    const check = async (e: ExpectedIndex, must: boolean, n: number): Promise<void> => {
      const name = `gt_${n}`;
      await runner.create(e, name);
      const after = await runner.time(c);
      await runner.drop(e.table, name);
      const speedup = base / after;
      const ok = must ? speedup >= 2 : speedup < 1.5 || base - after < 0.5;
      if (!ok) failures++;
      const label = `${e.table}(${e.columns.join(', ')}${e.include ? ` INCLUDE ${e.include.join(', ')}` : ''})`;
      process.stdout.write(
        `  ${must ? 'expected' : 'must-not'} ${label}: ${after.toFixed(1)} ms, ${speedup.toFixed(1)}x ${ok ? 'OK' : 'DISAGREES'}\n`,
      );
    };
    let n = 0;
    for (const e of c.expected.filter(applies(engine))) await check(e, true, n++);
    for (const e of c.mustNot.filter(applies(engine))) {
      // a must-not that is an existing index (or one the engine refuses) is not created again
      await check(e, false, n++).catch((error: Error) =>
        process.stdout.write(
          `  must-not ${e.table}(${e.columns.join(', ')}): not created (${error.message.split('\n')[0]})\n`,
        ),
      );
    }
  }
  return failures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (flag: string): string | undefined => {
    const i = process.argv.indexOf(flag);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  let cases = process.argv.includes('--held-out')
    ? HELD_OUT_HALF
    : process.argv.includes('--tuning')
      ? TUNING_HALF
      : ALL_CASES;
  const only = arg('--case');
  if (only) cases = cases.filter((c) => c.tables.some((t) => t.name.startsWith(`${only}_`)));
  const engines = (arg('--engine') ? [arg('--engine')] : ['postgres', 'mysql']) as Engine[];
  let failures = 0;
  if (engines.includes('postgres')) {
    const mine = cases.filter((c) => c.engines.includes('postgres'));
    const server = await startPostgres({ version: 15 });
    try {
      await server.query('CREATE DATABASE truth');
      const client = await server.connect({ database: 'truth' });
      try {
        await loadPostgres(client, mine);
        failures += await verify('postgres', pgRunner(client), mine);
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
    }
  }
  if (engines.includes('mysql')) {
    const mine = cases.filter((c) => c.engines.includes('mysql'));
    const server = await startLocalMariadb();
    try {
      await server.exec('CREATE DATABASE truth');
      const conn = await mysql.createConnection(server.urlFor('root', '', 'truth'));
      try {
        await loadMysql(conn, mine);
        failures += await verify('mysql', myRunner(conn), mine);
      } finally {
        await conn.end();
      }
    } finally {
      await server.destroy();
    }
  }
  process.stdout.write(`${failures} disagreement(s) with the ground truth\n`);
  process.exitCode = failures ? 1 : 0;
}
