import mysql from 'mysql2/promise';
import { startLocalMariadb } from '../support/mysql.js';
import { startPostgres } from '../support/postgres.js';
import { CASES } from './cases.js';
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

export async function evaluatePostgres(): Promise<Score[]> {
  const server = await startPostgres({ version: 15 });
  try {
    await server.query('CREATE DATABASE cases');
    const url = server.url({ database: 'cases' });
    const client = await server.connect({ database: 'cases' });
    try {
      await client.query('CREATE EXTENSION pg_stat_statements');
      await client.query('CREATE EXTENSION hypopg');
      await loadPostgres(client, CASES);
      await client.query('SELECT pg_stat_statements_reset()');
      await workloadPostgres(client, CASES);
      const withHypopg = score('postgres 15 + hypopg', 'postgres', CASES, (await runCheck(url)).findings);
      await client.query('DROP EXTENSION hypopg');
      const withoutHypopg = score(
        'postgres 15, EXPLAIN only',
        'postgres',
        CASES,
        (await runCheck(url)).findings,
      );
      return [withHypopg, withoutHypopg];
    } finally {
      await client.end();
    }
  } finally {
    await server.stop();
  }
}

export async function evaluateMariadb(): Promise<Score[]> {
  const server = await startLocalMariadb({ statementHistory: true });
  try {
    await server.exec('CREATE DATABASE cases');
    const conn = await mysql.createConnection(server.urlFor('root', '', 'cases'));
    try {
      await loadMysql(conn, CASES);
      await conn.query('TRUNCATE TABLE performance_schema.events_statements_summary_by_digest');
      await workloadMysql(conn, CASES);
    } finally {
      await conn.end();
    }
    return [score('mariadb', 'mysql', CASES, (await runCheck(server.urlFor('root', '', 'cases'))).findings)];
  } finally {
    await server.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const scores = [...(await evaluatePostgres()), ...(await evaluateMariadb())];
  for (const s of scores) process.stdout.write(`${formatScore(s)}\n`);
}
