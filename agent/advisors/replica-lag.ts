import type { FixAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import {
  type AdvisorInput,
  formatBytes,
  formatDuration,
  makeFinding,
  remedies,
  renderActions,
  round,
} from './context.js';
import { type ReplicaSample, replicaWindows } from './replica-history.js';

// A replica whose replay trails its primary for the whole window (lag = WAL / events received
// or written and not yet replayed; an idle caught-up replica has zero). Warning at
// replicaLagWarningSeconds; critical at replicaLagCriticalSeconds, or when the lag still grows
// (replay stalled or slower than the writes: it will not catch up by itself). Reads routed to
// the replica see data this old.

export interface LagJudgement {
  severity: 'warning' | 'critical' | null;
  lagSeconds: number;
  /** seconds of lag gained per second of wall time over the window (1: replay stopped) */
  growth: number | null;
  windowSeconds: number;
}

/** The severity a window of lag samples earns (every sample at or above the warning lag). */
export function judgeLag(samples: readonly ReplicaSample[], t: AdvisorInput['thresholds']): LagJudgement {
  const last = samples.at(-1);
  const first = samples[0];
  const lagSeconds = last?.lagSeconds ?? 0;
  const spanSeconds = last && first ? (last.at - first.at) / 1000 : 0;
  const none = { severity: null, lagSeconds, growth: null, windowSeconds: spanSeconds };
  if (
    !last ||
    !first ||
    samples.some((s) => s.lagSeconds === null || s.lagSeconds < t.replicaLagWarningSeconds)
  )
    return none;
  const growth = spanSeconds > 0 ? (lagSeconds - (first.lagSeconds ?? 0)) / spanSeconds : null;
  const growing = growth !== null && growth >= t.replicaLagGrowthRatio;
  return {
    severity: lagSeconds >= t.replicaLagCriticalSeconds || growing ? 'critical' : 'warning',
    lagSeconds,
    growth,
    windowSeconds: spanSeconds,
  };
}

export function replicaLag(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const findings: Finding[] = [];
  for (const [name, samples] of replicaWindows(input, t.replicaLagWindowSeconds)) {
    const judged = judgeLag(samples, t);
    const last = samples.at(-1);
    if (judged.severity === null || !last) continue;
    const r = remedies(input);
    const actions: FixAction[] = last.paused
      ? [
          {
            type: 'resume-replication',
            scope: 'replay',
            lock: 'none',
            expectedSeconds: null,
            risk: 'replay catches up at full speed; queries on the replica may be cancelled by conflicts meanwhile',
            rollback: null,
          },
        ]
      : [];
    const where = last.self ? 'this replica' : `replica ${name}`;
    const bytes = last.lagBytes === null ? '' : `, ${formatBytes(last.lagBytes)} not replayed`;
    const growthText =
      judged.growth === null
        ? ''
        : judged.growth >= t.replicaLagGrowthRatio
          ? `, growing ${round(judged.growth, 2)} s per s`
          : ', not growing';
    findings.push(
      makeFinding(input, 'replica-lag', {
        severity: judged.severity,
        object: name,
        summary: `${where} trails its primary by ${formatDuration(judged.lagSeconds)}${bytes}${growthText}${
          last.paused ? ' (replay is paused)' : ''
        }: reads routed to it see data this old`,
        evidence: {
          replica: name,
          seenFrom: last.self ? 'replica' : 'primary',
          lagSeconds: round(judged.lagSeconds, 1),
          lagBytes: last.lagBytes,
          growthSecondsPerSecond: judged.growth === null ? null : round(judged.growth, 3),
          windowSeconds: round(judged.windowSeconds, 1),
          samples: samples.length,
          paused: last.paused,
          warningSeconds: t.replicaLagWarningSeconds,
          criticalSeconds: t.replicaLagCriticalSeconds,
        },
        fix: {
          summary: last.paused
            ? 'Replay is paused by an administrator: resume it (if the pause was not deliberate)'
            : 'Find what holds replay back (long queries or I/O on the replica, one huge transaction on the primary); meanwhile route reads that cannot tolerate the lag to the primary',
          actions,
          statements: [
            ...renderActions(input, actions).statements,
            r.diagnosis.replicaStatus,
            r.diagnosis.primaryReplicas,
            `Reads that must see their own writes or data newer than ${formatDuration(judged.lagSeconds)}: send them to the primary until the lag is back under ${formatDuration(t.replicaLagWarningSeconds)}`,
          ],
          risk: 'Resuming or catching up costs the replica I/O; nothing on the primary changes.',
          rollback: 'Nothing to roll back (pause replay again if it was paused on purpose).',
        },
      }),
    );
  }
  return findings;
}
