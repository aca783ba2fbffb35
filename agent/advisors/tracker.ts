import type { Finding } from '../findings/finding.js';

// Findings keep their id across samples. A finding whose condition is no longer seen stays
// (as last seen) until the condition has been clear for resolveAfterSeconds: one good sample
// does not end an incident. Time comes from the snapshots, never from a clock.

interface Tracked {
  finding: Finding;
  firstSeenAt: number;
  lastSeenAt: number;
}

export class FindingTracker {
  private readonly active = new Map<string, Tracked>();

  /** Merges this cycle's findings at time `at`; returns what is active now (seen, or not yet resolved). */
  update(current: readonly Finding[], at: number, resolveAfterSeconds: number): Finding[] {
    const seen = new Set<string>();
    for (const finding of current) {
      seen.add(finding.id);
      const before = this.active.get(finding.id);
      this.active.set(finding.id, { finding, firstSeenAt: before?.firstSeenAt ?? at, lastSeenAt: at });
    }
    for (const [id, tracked] of this.active) {
      if (!seen.has(id) && at - tracked.lastSeenAt >= resolveAfterSeconds * 1000) this.active.delete(id);
    }
    return [...this.active.values()].map((t) => t.finding);
  }

  /** when a still-active finding was first seen (epoch ms) */
  firstSeenAt(id: string): number | undefined {
    return this.active.get(id)?.firstSeenAt;
  }
}
