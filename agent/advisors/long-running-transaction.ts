import type { Finding } from '../findings/finding.js';
import { type AdvisorInput, formatDuration, latest, makeFinding } from './context.js';

// A transaction open for long (running or not) pins the oldest snapshot: dead rows pile up
// (PostgreSQL) or the undo history grows (InnoDB), and its locks stay held.

export function longRunningTransaction(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const c = latest(input)?.signals.connections;
  const age = c?.oldestTransactionSeconds ?? null;
  if (!c || age === null || age < t.longTransactionSeconds) return [];
  const pg = input.engine === 'postgres';
  return [
    makeFinding(input, 'long-running-transaction', {
      severity: age >= t.longTransactionCriticalSeconds ? 'critical' : 'warning',
      object: 'transactions',
      summary: `a transaction has been open for ${formatDuration(age)} (threshold ${formatDuration(t.longTransactionSeconds)})`,
      evidence: {
        oldestTransactionSeconds: Math.round(age),
        thresholdSeconds: t.longTransactionSeconds,
        idleInTransaction: c.byState.idleInTransaction,
        active: c.byState.active,
      },
      fix: {
        summary: 'Find the transaction, ask its owner, then end it; bound future ones with a timeout',
        statements: pg
          ? [
              'SELECT pid, usename, application_name, state, now() - xact_start AS open_for, left(query, 200) FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() ORDER BY xact_start LIMIT 5;',
              'SELECT pg_cancel_backend(<pid>);  -- cancels the running statement',
              'SELECT pg_terminate_backend(<pid>);  -- ends the session and rolls back',
            ]
          : [
              'SELECT trx_mysql_thread_id, trx_started, trx_state, trx_rows_modified, LEFT(trx_query, 200) FROM information_schema.innodb_trx ORDER BY trx_started LIMIT 5;',
              'KILL <trx_mysql_thread_id>;',
            ],
        risk: 'Ending it rolls back everything it changed; a big rollback can take as long as the work did.',
        rollback: 'Nothing to roll back: the work of the ended transaction must be re-run by its owner.',
      },
    }),
  ];
}
