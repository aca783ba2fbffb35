import type { Finding } from '../findings/finding.js';
import { type AdvisorInput, latest, makeFinding } from './context.js';

// Without pg_stat_statements (PostgreSQL) or performance_schema digests (MySQL) the agent
// cannot see statements: no slow-query or missing-index advice. The statements probe says
// why it is unsupported; this turns that into a finding with the change to make.

export function extensionMissing(input: AdvisorInput): Finding[] {
  const snapshot = latest(input);
  const report = snapshot?.probes.statements;
  if (!snapshot?.up || report?.status !== 'unsupported') return [];
  const reason = report.message ?? 'statement statistics are not available';
  const pg = input.engine === 'postgres';
  const notLoaded = /shared_preload_libraries/i.test(reason) && /not loaded/i.test(reason);
  return [
    makeFinding(input, 'extension-missing', {
      severity: 'warning',
      object: pg ? 'pg_stat_statements' : 'performance_schema',
      summary: `statement statistics unavailable: ${reason}`,
      evidence: { probe: 'statements', reason },
      fix: pg
        ? {
            summary: 'Load and create pg_stat_statements',
            statements: notLoaded
              ? [
                  "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';  -- append to any existing list; restart required",
                ]
              : [
                  "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';  -- append to any existing list; restart required (skip if already loaded)",
                  'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;',
                ],
            risk: 'WARNING: shared_preload_libraries needs a server restart. Overhead is a few percent of CPU at most.',
            rollback: 'DROP EXTENSION pg_stat_statements; remove it from shared_preload_libraries; restart',
          }
        : {
            summary: 'Turn on performance_schema and its statement digests',
            statements: [
              '[mysqld]\nperformance_schema = ON\nperformance-schema-consumer-events-statements-history = ON',
              "UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME IN ('global_instrumentation', 'statements_digest');",
            ],
            risk: 'WARNING: performance_schema=ON needs a server restart; it takes some memory (~100-400 MB) and a few percent CPU.',
            rollback: 'performance_schema = OFF in my.cnf; restart',
          },
    }),
  ];
}
