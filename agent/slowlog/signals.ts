import type { SlowLogSignals, SlowQueryClass } from '../snapshot/signals.js';
import { type ClassStats, mergeStats, OTHER_ID } from './digest.js';
import { QuantileSketch } from './sketch.js';

// The digest in the engine-neutral vocabulary of the snapshot (agent/snapshot/signals.ts).

function toClass(s: ClassStats): SlowQueryClass {
  return {
    id: s.id,
    fingerprint: s.fingerprint,
    count: s.count,
    totalSeconds: s.totalSeconds,
    maxSeconds: s.maxSeconds,
    lockSeconds: s.lockSeconds,
    rowsSent: s.rowsSent,
    rowsExamined: s.rowsExamined,
    databases: [...s.databases],
    sample: s.sample,
    firstSeenAt: s.firstSeenAt,
    lastSeenAt: s.lastSeenAt,
  };
}

/**
 * Classes ranked by total time; with `top`, the classes past the first `top` are folded into
 * one `other` class so the snapshot (and the series built from it) stays bounded.
 */
export function toSlowLogSignals(
  classes: readonly ClassStats[],
  path: string,
  at: number,
  linesSkipped: number,
  top?: number,
): SlowLogSignals {
  const ranked = [...classes].sort((a, b) => b.totalSeconds - a.totalSeconds || b.count - a.count);
  if (top === undefined || ranked.length <= top) {
    return { at, path, classes: ranked.map(toClass), linesSkipped };
  }
  const kept = ranked.filter((c) => c.id !== OTHER_ID).slice(0, top);
  const keptIds = new Set(kept.map((c) => c.id));
  let other: ClassStats | null = null;
  for (const c of ranked) {
    if (keptIds.has(c.id)) continue;
    if (other === null) {
      other = {
        ...c,
        id: OTHER_ID,
        fingerprint: OTHER_ID,
        databases: [],
        users: [],
        hosts: [],
        sketch: new QuantileSketch(),
      };
      other.count = 0;
      other.totalSeconds = 0;
      other.maxSeconds = 0;
      other.lockSeconds = 0;
      other.rowsSent = 0;
      other.rowsExamined = 0;
      other.sampleSeconds = -1;
      other.sample = null;
      other.firstSeenAt = null;
      other.lastSeenAt = null;
    }
    mergeStats(other, c);
  }
  const result = kept.map(toClass);
  if (other !== null) result.push(toClass(other));
  return { at, path, classes: result, linesSkipped };
}
