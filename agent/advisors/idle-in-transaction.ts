import type { FixAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import {
  type AdvisorInput,
  formatDuration,
  latest,
  makeFinding,
  remedies,
  renderActions,
  rollbackText,
  setSetting,
} from './context.js';

// A session that opened a transaction and went quiet holds its locks and its snapshot (vacuum
// cannot clean behind it; InnoDB purge waits) and its connection slot.

/** The cap proposed for sessions idle in a transaction: long enough for a slow human-paced step. */
const IDLE_IN_TRANSACTION_TIMEOUT_SECONDS = 300;

export function idleInTransaction(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const c = latest(input)?.signals.connections;
  const age = c?.oldestIdleInTransactionSeconds ?? null;
  if (!c || age === null || age < t.idleInTransactionSeconds) return [];
  const engine = remedies(input);
  const actions: FixAction[] = [
    {
      type: 'terminate-session',
      session: null,
      note: 'the session of the oldest one, after checking it',
      lock: 'none',
      expectedSeconds: null,
      risk: 'rolls back the transaction: its uncommitted work is lost',
      rollback: null,
    },
    setSetting(
      input,
      'idle-in-transaction-timeout',
      IDLE_IN_TRANSACTION_TIMEOUT_SECONDS,
      null,
      'such sessions end with an error the application must handle',
    ),
  ];
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
        summary: `Find the application path that forgets to COMMIT/ROLLBACK; cap it with ${engine.setting('idle-in-transaction-timeout').name}`,
        actions,
        statements: [engine.diagnosis.idleInTransactionSessions, ...renderActions(input, actions).statements],
        risk: 'Terminating the session rolls back its transaction (its uncommitted work is lost). The timeout ends such sessions with an error the application must handle.',
        rollback: rollbackText(input, actions, 'None needed.'),
      },
    }),
  ];
}
