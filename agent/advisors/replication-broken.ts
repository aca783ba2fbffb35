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
import { replicaWindows } from './replica-history.js';

// Replication that stopped working, as the replica itself sees it: an apply error (MariaDB /
// MySQL: the SQL thread stopped on Last_SQL_Error; an IO error), or nothing received from the
// primary for the whole window (PostgreSQL: no WAL receiver streaming; MariaDB: the IO thread
// not running). Recovery conflicts cancelling queries on a PostgreSQL replica are a warning. On a
// primary: a slot the server invalidated (wal_status lost): its replica can never resume.

const RESUME: FixAction = {
  type: 'resume-replication',
  scope: 'all',
  lock: 'none',
  expectedSeconds: null,
  risk: 'if the cause is still there (the primary unreachable, the same failing event) it stops again',
  rollback: null,
};

export function replicationBroken(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const r = remedies(input);
  const findings: Finding[] = [];
  for (const [name, samples] of replicaWindows(input, t.replicaLagWindowSeconds)) {
    const last = samples.at(-1);
    const first = samples[0];
    if (!last || !first || !last.self) continue;
    const spanSeconds = (last.at - first.at) / 1000;
    const notReceiving = samples.every((s) => s.receiving === false);
    const conflicts =
      last.conflicts !== null && first.conflicts !== null ? Math.max(0, last.conflicts - first.conflicts) : 0;
    if (last.lastError === null && !notReceiving && conflicts === 0) continue;
    const broken = last.lastError !== null || notReceiving;
    const what =
      last.lastError !== null
        ? `replication stopped on an error: ${last.lastError.slice(0, 300)}`
        : notReceiving
          ? `the replica has received nothing from its primary for ${formatDuration(spanSeconds)}${last.paused ? ' (replay is paused too)' : ''}`
          : `${conflicts} queries on the replica were cancelled by recovery conflicts in ${formatDuration(spanSeconds)}`;
    const actions: FixAction[] = broken && last.lastError === null ? [RESUME] : [];
    const statements = [r.diagnosis.replicaStatus, ...renderActions(input, actions).statements];
    if (last.lastError !== null) {
      statements.push(
        'Read the error: fix its cause on the replica (a missing or duplicate row, a schema difference), then start replication again',
        ...renderActions(input, [RESUME]).statements,
      );
      if (r.diagnosis.skipFailedEvent !== '') statements.push(r.diagnosis.skipFailedEvent);
    }
    if (broken)
      statements.push(
        'If the primary no longer has what the replica needs (its log was purged or the slot invalidated): rebuild the replica from a fresh copy of the primary',
      );
    else
      statements.push(
        'Queries on the replica cancelled by replay: let them finish first (a longer standby delay, more lag) or keep the rows they need on the primary (hot_standby_feedback on PostgreSQL, more bloat there)',
      );
    findings.push(
      makeFinding(input, 'replication-broken', {
        severity: broken ? 'critical' : 'warning',
        object: name,
        summary: `${what}: reads routed to this replica get older and older`,
        evidence: {
          replica: name,
          lastError: last.lastError,
          receiving: last.receiving,
          paused: last.paused,
          conflictsInWindow: conflicts,
          windowSeconds: Math.round(spanSeconds),
          lagSeconds: last.lagSeconds,
          lagBytes: last.lagBytes,
        },
        fix: {
          summary: broken
            ? 'Find why it stopped (the replica status and its log), fix the cause, start replication again; rebuild the replica if the primary no longer has what it needs'
            : 'Queries on the replica are cancelled by replay: decide which side waits',
          actions,
          statements,
          risk: 'Starting replication again is safe; skipping a failing event or rebuilding is not free (see the runbook).',
          rollback: 'Nothing to roll back: stop replication again if needed.',
        },
      }),
    );
  }
  for (const slot of latest(input)?.signals.replication?.slots ?? []) {
    if (slot.walStatus !== 'lost') continue;
    findings.push(
      makeFinding(input, 'replication-broken', {
        severity: 'critical',
        object: `slot ${slot.name}`,
        summary: `replication slot ${slot.name} was invalidated (the WAL its consumer needs is gone): that replica can never resume from it`,
        evidence: { slot: slot.name, walStatus: slot.walStatus, active: slot.active },
        fix: {
          summary: 'Rebuild the consumer of the slot from a fresh copy, then drop the invalidated slot',
          actions: [],
          statements: [r.diagnosis.replicationSlots],
          risk: 'Rebuilding a replica copies the whole database over the network.',
          rollback: 'Nothing to roll back.',
        },
      }),
    );
  }
  return findings;
}
