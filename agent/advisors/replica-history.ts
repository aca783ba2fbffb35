import type { ReplicationSignals } from '../snapshot/signals.js';
import type { AdvisorInput } from './context.js';

// The replication samples of a target's history, per replica: on a primary one series per
// replica it serves (by the name it connects with), on a replica its own (by the target's name).
// Shared by the replication advisors, which judge a window of these, never one sample.

export interface ReplicaSample {
  at: number;
  lagSeconds: number | null;
  lagBytes: number | null;
  paused: boolean;
  /** null on a primary's view (it cannot tell) */
  receiving: boolean | null;
  lastError: string | null;
  conflicts: number | null;
  /** seen from the replica itself (true) or from its primary (false) */
  self: boolean;
}

/** The distinct replication samples of the history (a probe not run this cycle repeats its last one), oldest first. */
export function replicationHistory(input: AdvisorInput): ReplicationSignals[] {
  const seen = new Set<number>();
  const out: ReplicationSignals[] = [];
  for (const snapshot of input.history) {
    const r = snapshot.signals.replication;
    if (!snapshot.up || !r || seen.has(r.at)) continue;
    seen.add(r.at);
    out.push(r);
  }
  return out;
}

function samplesOf(r: ReplicationSignals, target: string): Map<string, ReplicaSample> {
  const out = new Map<string, ReplicaSample>();
  for (const x of r.replicas)
    out.set(x.name, {
      at: r.at,
      lagSeconds: x.lagSeconds,
      lagBytes: x.lagBytes,
      paused: false,
      receiving: null,
      lastError: null,
      conflicts: null,
      self: false,
    });
  if (r.self)
    out.set(target, {
      at: r.at,
      lagSeconds: r.self.lagSeconds,
      lagBytes: r.self.lagBytes,
      paused: r.self.paused,
      receiving: r.self.receiving,
      lastError: r.self.lastError,
      conflicts: r.self.conflicts,
      self: true,
    });
  return out;
}

/**
 * Per replica present in the latest sample: its samples inside the window (seconds before the
 * latest), plus the one just before it so the window is covered; a replica missing from a sample
 * breaks its series there (it reconnected: older samples are about another stream).
 */
export function replicaWindows(input: AdvisorInput, windowSeconds: number): Map<string, ReplicaSample[]> {
  const history = replicationHistory(input);
  const last = history.at(-1);
  const out = new Map<string, ReplicaSample[]>();
  if (!last) return out;
  const from = last.at - windowSeconds * 1000;
  const perSample = history.map((r) => samplesOf(r, input.target));
  for (const name of perSample.at(-1)?.keys() ?? []) {
    const series: ReplicaSample[] = [];
    for (let i = perSample.length - 1; i >= 0; i--) {
      const sample = perSample[i]?.get(name);
      if (!sample) break;
      series.unshift(sample);
      if (sample.at <= from) break;
    }
    out.set(name, series);
  }
  return out;
}
