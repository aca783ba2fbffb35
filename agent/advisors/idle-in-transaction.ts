import type { Finding } from '../findings/finding.js';
import { type AdvisorInput, formatDuration, latest, makeFinding } from './context.js';

// A session that opened a transaction and went quiet holds its locks and its snapshot (vacuum
// cannot clean behind it; InnoDB purge waits) and its connection slot.

export function idleInTransaction(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const c = latest(input)?.signals.connections;
  const age = c?.oldestIdleInTransactionSeconds ?? null;
  if (!c || age === null || age < t.idleInTransactionSeconds) return [];
  const pg = input.engine === 'postgres';
  return [
    makeFinding(input, 'idle-in-transaction', {
      severity: age >= t.idleInTransactionCriticalSeconds ? 'critical' : 'warning',
      object: 'sessions',
      summary: `${c.byState.idleInTransaction} session(s) idle in transaction, the oldest for ${formatDuration(age)}`,
      evidence: {
        oldestIdleInTransactionSeconds: Math.round(age),
        idleInTransaction: c.byState.idleInTransaction,
        thresholdSeconds: t.idleInTransactionSeconds,
      },
      fix: {
        summary: pg
          ? 'Find the application path that forgets to COMMIT/ROLLBACK; cap it with idle_in_transaction_session_timeout'
          : 'Find the application path that forgets to COMMIT/ROLLBACK; cap idle sessions with wait_timeout',
        statements: pg
          ? [
              "SELECT pid, usename, application_name, client_addr, now() - state_change AS idle_for, left(query, 200) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' ORDER BY state_change;",
              'SELECT pg_terminate_backend(<pid>);  -- the session of the oldest one, after checking it',
              "ALTER SYSTEM SET idle_in_transaction_session_timeout = '5min'; SELECT pg_reload_conf();",
            ]
          : [
              "SELECT trx_mysql_thread_id, trx_started, trx_state FROM information_schema.innodb_trx WHERE trx_state = 'RUNNING' ORDER BY trx_started;",
              'KILL <trx_mysql_thread_id>;  -- after checking it',
              'SET GLOBAL wait_timeout = 300;',
            ],
        risk: 'Terminating the session rolls back its transaction (its uncommitted work is lost). The timeout ends such sessions with an error the application must handle.',
        rollback: pg
          ? 'ALTER SYSTEM RESET idle_in_transaction_session_timeout; SELECT pg_reload_conf();'
          : 'SET GLOBAL wait_timeout = 28800;',
      },
    }),
  ];
}
