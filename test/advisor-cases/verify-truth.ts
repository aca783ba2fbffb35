import mysql from 'mysql2/promise';
import type pg from 'pg';
import { startLocalMariadb } from '../support/mysql.js';
import { startPostgres } from '../support/postgres.js';
import type { AdvisorCase, Engine, ExpectedIndex } from './cases.js';
import { ALL_CASES, HELD_OUT_BATCHES, HELD_OUT_HALF, TUNING_HALF } from './eval.js';
import { loadMysql, loadPostgres } from './harness.js';

// `npm run verify:advisor-cases [-- --held-out|--tuning|--batch 2] [--engine postgres|mysql] [--case h01]`:
// the ground truth checked with real indexes and EXPLAIN ANALYZE, not with the advisor's
// estimate and not with client wall time. For each case it runs each workload statement under
// EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL / ANALYZE FORMAT=JSON on MariaDB (writes inside a
// transaction that is rolled back, so they repeat), on SAMPLES of its calls, each the best of
// REPEATS; the workload's figures are the per-call means weighted by the statement's calls:
// server execution time, rows read by the scans (PostgreSQL: rows returned + removed by filter;
// MariaDB: r_rows x r_loops) and buffers / pages touched (shared hit + read; pages_accessed).
// It measures the case as loaded, then with each expected index created for real, then each
// must-not index on top of the expected ones ("must not be proposed besides what is right").
// Verdict: an expected index must make the workload's execution time and its buffers at least
// 2x lower; a must-not index must not pay for itself: it pays only if it cuts execution time
// 1.5x AND saves at least 0.5 ms per run of the workload AND cuts the buffers touched 1.5x
// (execution time alone moved up to 3x between identical runs on this loaded machine; pages
// touched do not move with load, and an index that reads as many pages — a tiny table, rows of
// a value on every page, writes that maintain it — does not save I/O). MariaDB's ANALYZE gives no time for INSERT ... VALUES: those are timed by the
// client around the statement (said in the output). Figures on a shared machine are noisy.

const REPEATS = 3;
const SAMPLES = 5;

/** One run of the workload as EXPLAIN ANALYZE measures it: per-call means weighted by calls. */
interface Measure {
  ms: number;
  rows: number;
  buffers: number;
  /** statements the server's ANALYZE could not time (timed by the client instead) */
  clientTimed: number;
}

interface Runner {
  measure(c: AdvisorCase): Promise<Measure>;
  create(e: ExpectedIndex, name: string): Promise<void>;
  drop(table: string, name: string): Promise<void>;
}

/** The calls sampled out of a statement's `calls`: spread over its parameter sequence. */
function sampled(calls: number): number[] {
  const n = Math.min(calls, SAMPLES);
  return Array.from({ length: n }, (_, k) => Math.floor((k * calls) / n));
}

/** Sums, over a statement's sampled calls, the best of REPEATS of each; scaled to its calls. */
async function weigh(
  c: AdvisorCase,
  one: (sql: string, params: (string | number | boolean)[]) => Promise<Measure>,
): Promise<Measure> {
  const total: Measure = { ms: 0, rows: 0, buffers: 0, clientTimed: 0 };
  for (const s of c.workload) {
    const calls = s.calls ?? 10;
    const picks = sampled(calls);
    for (const i of picks) {
      let best: Measure | null = null;
      for (let r = 0; r < REPEATS; r++) {
        const m = await one(s.sql, s.params(i));
        if (!best || m.ms < best.ms) best = m;
      }
      if (!best) continue;
      const w = calls / picks.length;
      total.ms += best.ms * w;
      total.rows += best.rows * w;
      total.buffers += best.buffers * w;
      total.clientTimed += best.clientTimed;
    }
  }
  return total;
}

interface PgPlanNode {
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PgPlanNode[];
}

/** Rows the plan's scans read: returned plus removed by their filters, times their loops. */
function pgRowsRead(node: PgPlanNode): number {
  const own =
    node['Relation Name'] !== undefined
      ? ((node['Actual Rows'] ?? 0) +
          (node['Rows Removed by Filter'] ?? 0) +
          (node['Rows Removed by Index Recheck'] ?? 0)) *
        (node['Actual Loops'] ?? 1)
      : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + pgRowsRead(child), 0);
}

/** MariaDB ANALYZE FORMAT=JSON: rows (r_rows x r_loops) and pages accessed of every table access. */
function myTotals(node: unknown): { rows: number; pages: number } {
  const out = { rows: 0, pages: 0 };
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.table_name === 'string') {
        out.rows += Number(o.r_rows ?? 0) * Number(o.r_loops ?? 1);
        out.pages += Number(
          (o.r_engine_stats as { pages_accessed?: number } | undefined)?.pages_accessed ?? 0,
        );
      }
      for (const x of Object.values(o)) walk(x);
    }
  };
  walk(node);
  return out;
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

function pgRunner(client: pg.Client): Runner {
  return {
    measure: (c) =>
      weigh(c, async (sql, params) => {
        let n = 0;
        const text = sql.replace(/\?/g, () => `$${++n}`);
        await client.query('BEGIN');
        try {
          const { rows } = await client.query<{
            'QUERY PLAN': [{ Plan: PgPlanNode; 'Execution Time': number }];
          }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, params);
          const [doc] = rows[0]?.['QUERY PLAN'] ?? [];
          if (!doc) throw new Error(`no plan for ${sql}`);
          return {
            ms: doc['Execution Time'],
            rows: pgRowsRead(doc.Plan),
            buffers: (doc.Plan['Shared Hit Blocks'] ?? 0) + (doc.Plan['Shared Read Blocks'] ?? 0),
            clientTimed: 0,
          };
        } finally {
          await client.query('ROLLBACK');
        }
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
    measure: (c) =>
      weigh(c, async (sql, params) => {
        const text = conn.format(sql, params);
        await conn.query('BEGIN');
        try {
          if (/^\s*INSERT\b/i.test(text)) {
            // ANALYZE gives no r_total_time_ms for INSERT ... VALUES: the client times it
            const start = process.hrtime.bigint();
            await conn.query(text);
            return { ms: Number(process.hrtime.bigint() - start) / 1e6, rows: 0, buffers: 0, clientTimed: 1 };
          }
          const [rows] = (await conn.query(`ANALYZE FORMAT=JSON ${text}`)) as unknown as [
            Record<string, string>[],
          ];
          const doc = JSON.parse(Object.values(rows[0] ?? {})[0] ?? '{}') as {
            query_block?: { r_total_time_ms?: number };
          };
          const totals = myTotals(doc);
          return {
            ms: Number(doc.query_block?.r_total_time_ms ?? 0),
            rows: totals.rows,
            buffers: totals.pages,
            clientTimed: 0,
          };
        } finally {
          await conn.query('ROLLBACK');
        }
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

const figures = (m: Measure): string =>
  `${m.ms.toFixed(2)} ms, ${Math.round(m.rows)} rows, ${Math.round(m.buffers)} buffers${
    m.clientTimed ? ` (${m.clientTimed} INSERT call(s) timed by the client)` : ''
  }`;

async function verify(engine: Engine, runner: Runner, cases: readonly AdvisorCase[]): Promise<number> {
  let failures = 0;
  let n = 0;
  const label = (e: ExpectedIndex) =>
    `${e.table}(${e.columns.join(', ')}${e.include ? ` INCLUDE ${e.include.join(', ')}` : ''})${e.where ? ` WHERE ${e.where}` : ''}`;
  for (const c of cases) {
    const base = await runner.measure(c);
    const table = c.tables[0]?.name.split('_')[0] ?? 'case';
    process.stdout.write(`${engine} ${table} ${c.name}\n  as loaded: ${figures(base)} per workload run\n`);
    const judge = (e: ExpectedIndex, must: boolean, before: Measure, after: Measure): void => {
      const speedup = before.ms / after.ms;
      // buffers: pages touched, the figure the machine's load does not move
      const fewerPages = before.buffers / Math.max(after.buffers, 1);
      const pays = speedup >= 1.5 && before.ms - after.ms >= 0.5 && fewerPages >= 1.5;
      const ok = must ? speedup >= 2 && fewerPages >= 2 : !pays;
      if (!ok) failures++;
      process.stdout.write(
        `  ${must ? 'expected' : 'must-not'} ${label(e)}: ${figures(after)}, ${speedup.toFixed(1)}x time, ${fewerPages.toFixed(1)}x fewer buffers ${ok ? 'OK' : 'DISAGREES'}\n`,
      );
    };
    const expected = c.expected.filter(applies(engine));
    for (const e of expected) {
      const name = `gt_${n++}`;
      await runner.create(e, name);
      judge(e, true, base, await runner.measure(c));
      // "replace, don't add": with the new index, the one it replaces is dropped and the gain holds
      for (const replaced of e.replaces ?? []) {
        const table = c.tables.find((t) => replaced.startsWith(`${t.name}_x`));
        const existing = table?.indexes?.[Number(replaced.slice(`${table?.name}_x`.length))];
        if (!table || !existing)
          throw new Error(`${c.name}: replaces ${replaced}, which the case does not create`);
        await runner.drop(table.name, replaced);
        process.stdout.write(`  ... and without ${replaced} (${existing.columns.join(', ')}):\n`);
        judge(e, true, base, await runner.measure(c));
        await runner.create({ table: table.name, columns: existing.columns }, replaced);
      }
      await runner.drop(e.table, name);
    }
    const mustNot = c.mustNot.filter(applies(engine));
    if (mustNot.length === 0) continue;
    // must-not indexes are judged beside the expected ones: what they add to the right answer
    const kept: [string, string][] = [];
    for (const e of expected) {
      const name = `gt_${n++}`;
      await runner.create(e, name);
      kept.push([e.table, name]);
    }
    const withExpected = kept.length ? await runner.measure(c) : base;
    if (kept.length) process.stdout.write(`  with the expected index(es): ${figures(withExpected)}\n`);
    for (const e of mustNot) {
      const name = `gt_${n++}`;
      // a must-not that is an existing index (or one the engine refuses) is not created again
      const created = await runner.create(e, name).then(
        () => true,
        (error: Error) => {
          process.stdout.write(`  must-not ${label(e)}: not created (${error.message.split('\n')[0]})\n`);
          return false;
        },
      );
      if (!created) continue;
      judge(e, false, withExpected, await runner.measure(c));
      await runner.drop(e.table, name);
    }
    for (const [t, name] of kept) await runner.drop(t, name);
  }
  return failures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (flag: string): string | undefined => {
    const i = process.argv.indexOf(flag);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  // --batch 2: the held-out half's second batch only
  let cases = arg('--batch')
    ? (HELD_OUT_BATCHES[Number(arg('--batch')) - 1] ?? [])
    : process.argv.includes('--held-out')
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
