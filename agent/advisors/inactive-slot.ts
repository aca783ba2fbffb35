import type { FixAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import {
  type AdvisorInput,
  formatBytes,
  formatDuration,
  latest,
  makeFinding,
  remedies,
  renderActions,
  round,
} from './context.js';
import { replicationHistory } from './replica-history.js';

// A replication slot nobody consumes keeps every WAL segment written since its consumer left:
// the classic way a forgotten replica fills the primary's disk. Raised on the primary for an
// inactive slot retaining inactiveSlotWarningBytes; critical at inactiveSlotCriticalBytes or
// when the server will invalidate it within a day. How fast it grows comes from the history;
// the time left is known when max_slot_wal_keep_size bounds the slot (safe_wal_size). The
// free space of the disk is not visible to SQL: the finding says so rather than guess.

const DAY = 86_400;

/** Bytes per second the slot's retained WAL grew over the history (null with under two samples or no growth). */
export function retentionRate(input: AdvisorInput, slot: string): number | null {
  const points = replicationHistory(input).flatMap((r) => {
    const s = r.slots.find((x) => x.name === slot);
    return s && s.retainedBytes !== null ? [{ at: r.at, bytes: s.retainedBytes }] : [];
  });
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last || last.at <= first.at) return null;
  const rate = (last.bytes - first.bytes) / ((last.at - first.at) / 1000);
  return rate > 0 ? rate : null;
}

export function inactiveSlot(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const r = remedies(input);
  const findings: Finding[] = [];
  for (const slot of latest(input)?.signals.replication?.slots ?? []) {
    const retained = slot.retainedBytes;
    if (
      slot.active ||
      retained === null ||
      retained < t.inactiveSlotWarningBytes ||
      slot.walStatus === 'lost'
    )
      continue;
    const rate = retentionRate(input, slot.name);
    const secondsLeft = rate !== null && slot.safeBytes !== null ? slot.safeBytes / rate : null;
    const critical = retained >= t.inactiveSlotCriticalBytes || (secondsLeft !== null && secondsLeft < DAY);
    const drop: FixAction = {
      type: 'drop-replication-slot',
      slot: slot.name,
      lock: 'none',
      expectedSeconds: null,
      risk: 'its consumer can no longer resume: a replica must be rebuilt, a logical decoding client re-synchronised',
      rollback: null,
    };
    const growth = rate === null ? '' : `, growing ${formatBytes(rate * 3600)}/h`;
    const left =
      secondsLeft === null
        ? ''
        : `; the server invalidates it in ${formatDuration(secondsLeft)} (its cap on what a slot may keep)`;
    findings.push(
      makeFinding(input, 'inactive-slot', {
        severity: critical ? 'critical' : 'warning',
        object: slot.name,
        summary: `replication slot ${slot.name} has no consumer and keeps ${formatBytes(retained)} of WAL on the primary${growth}${left}`,
        evidence: {
          slot: slot.name,
          active: false,
          retainedBytes: retained,
          growthBytesPerHour: rate === null ? null : Math.round(rate * 3600),
          safeBytes: slot.safeBytes,
          walStatus: slot.walStatus,
          daysUntilInvalidated: secondsLeft === null ? null : round(secondsLeft / DAY, 2),
          // free disk space is not readable from SQL: days until the disk fills are not known
          daysUntilDiskFull: null,
          warningBytes: t.inactiveSlotWarningBytes,
          criticalBytes: t.inactiveSlotCriticalBytes,
        },
        fix: {
          summary: `If the consumer of ${slot.name} is gone for good, drop the slot; if it comes back, bring it back soon (every hour adds${
            rate === null ? ' more' : ` ${formatBytes(rate * 3600)}`
          }), and cap what slots may keep`,
          actions: [drop],
          statements: [
            r.diagnosis.replicationSlots,
            ...renderActions(input, [drop]).statements,
            ...(r.diagnosis.slotRetentionCap === '' ? [] : [r.diagnosis.slotRetentionCap]),
          ],
          risk: `WARNING: dropping the slot cannot be undone: ${renderActions(input, [drop]).risk || drop.risk}`,
          rollback:
            'None: a dropped slot is gone; its consumer is rebuilt from a fresh copy (a new slot is created with it).',
        },
      }),
    );
  }
  return findings;
}
