import type { FixAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import {
  type AdvisorInput,
  formatDuration,
  latest,
  makeFinding,
  remedies,
  renderActions,
} from './context.js';

// A transaction open for long (running or not) pins the oldest snapshot: dead rows pile up
// (PostgreSQL) or the undo history grows (InnoDB), and its locks stay held.

export function longRunningTransaction(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const c = latest(input)?.signals.connections;
  const age = c?.oldestTransactionSeconds ?? null;
  if (!c || age === null || age < t.longTransactionSeconds) return [];
  const actions: FixAction[] = [
    {
      type: 'terminate-session',
      session: null,
      cancelOnly: true,
      note: 'cancels the running statement',
      lock: 'none',
      expectedSeconds: null,
      risk: 'the statement fails; the transaction stays open',
      rollback: null,
    },
    {
      type: 'terminate-session',
      session: null,
      note: 'ends the session and rolls back',
      lock: 'none',
      expectedSeconds: null,
      risk: 'rolls back everything it changed',
      rollback: null,
    },
  ];
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
        actions,
        statements: [
          remedies(input).diagnosis.oldestTransactions,
          ...renderActions(input, actions).statements,
        ],
        risk: 'Ending it rolls back everything it changed; a big rollback can take as long as the work did.',
        rollback: 'Nothing to roll back: the work of the ended transaction must be re-run by its owner.',
      },
    }),
  ];
}
