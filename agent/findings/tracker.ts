import type { FindingEvent, FindingEventType } from '../state/store.js';
import { type EvidenceValue, type Finding, SEVERITIES, type Severity } from './finding.js';

// The life of a finding. Findings keep their id across samples; each episode of a finding
// (raised ... resolved) has a firstSeen, a lastSeen, the number of cycles it was seen in, its
// severity changes and the evidence at its worst. A finding no longer seen stays active (as
// last seen) until its condition has been clear for resolveAfterSeconds of observed time: one
// good sample does not end an incident, and neither does the time the agent itself was down.
// Time comes from the snapshots, never from a clock.

export type FindingStatus = 'active' | 'resolved';

export interface SeverityChange {
  at: number;
  /** null when the finding was raised */
  from: Severity | null;
  to: Severity;
}

export interface WorstEvidence {
  severity: Severity;
  at: number;
  summary: string;
  evidence: Record<string, EvidenceValue>;
}

/** One episode of a finding with its lifecycle. Times are epoch ms (ISO 8601 in JSON: findingJson). */
export interface TrackedFinding {
  /** as last seen */
  finding: Finding;
  status: FindingStatus;
  firstSeen: number;
  lastSeen: number;
  resolvedAt: number | null;
  /** sampling cycles the condition was seen in */
  occurrences: number;
  severityChanges: SeverityChange[];
  /** the evidence when the severity was at its highest (the first time it got there) */
  worst: WorstEvidence;
}

export interface TrackerUpdate {
  /** what is active now (seen, or not yet resolved), as the advisors last said it */
  active: Finding[];
  /** episodes that changed this cycle (seen again, raised, re-graded or resolved): what the store saves */
  changed: TrackedFinding[];
  /** raised / escalated / deescalated / resolved: logged once and stored */
  events: FindingEvent[];
}

interface Entry {
  tracked: TrackedFinding;
  /** restored from the store: the time before this agent's first cycle was not observed */
  observedFrom: number | null;
}

function rank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

function event(tracked: TrackedFinding, type: FindingEventType, at: number): FindingEvent {
  return {
    id: tracked.finding.id,
    firstSeen: tracked.firstSeen,
    target: tracked.finding.target,
    kind: tracked.finding.kind,
    type,
    at,
    severity: tracked.finding.severity,
    summary: tracked.finding.summary,
  };
}

export class FindingTracker {
  private readonly entries = new Map<string, Entry>();
  private restoredPending = false;

  /** `restored`: the active episodes the store kept from before a restart (their firstSeen stands). */
  constructor(
    private readonly resolveAfterSeconds: number,
    restored: readonly TrackedFinding[] = [],
  ) {
    for (const tracked of restored) {
      if (tracked.status !== 'active') continue;
      this.entries.set(tracked.finding.id, { tracked: structuredClone(tracked), observedFrom: null });
      this.restoredPending = true;
    }
  }

  /** Merges this cycle's findings at time `at` (resolveAfterSeconds: the current threshold, after a reload). */
  update(
    current: readonly Finding[],
    at: number,
    resolveAfterSeconds = this.resolveAfterSeconds,
  ): TrackerUpdate {
    if (this.restoredPending) {
      for (const entry of this.entries.values()) entry.observedFrom ??= at;
      this.restoredPending = false;
    }
    const changed: TrackedFinding[] = [];
    const events: FindingEvent[] = [];
    const seen = new Set<string>();
    for (const finding of current) {
      if (seen.has(finding.id)) continue;
      seen.add(finding.id);
      const entry = this.entries.get(finding.id);
      if (!entry) {
        const tracked: TrackedFinding = {
          finding,
          status: 'active',
          firstSeen: at,
          lastSeen: at,
          resolvedAt: null,
          occurrences: 1,
          severityChanges: [{ at, from: null, to: finding.severity }],
          worst: { severity: finding.severity, at, summary: finding.summary, evidence: finding.evidence },
        };
        this.entries.set(finding.id, { tracked, observedFrom: null });
        changed.push(tracked);
        events.push(event(tracked, 'raised', at));
        continue;
      }
      const tracked = entry.tracked;
      const before = tracked.finding.severity;
      tracked.finding = finding;
      tracked.lastSeen = at;
      tracked.occurrences += 1;
      if (finding.severity !== before) {
        tracked.severityChanges.push({ at, from: before, to: finding.severity });
        events.push(event(tracked, rank(finding.severity) > rank(before) ? 'escalated' : 'deescalated', at));
      }
      if (rank(finding.severity) > rank(tracked.worst.severity)) {
        tracked.worst = {
          severity: finding.severity,
          at,
          summary: finding.summary,
          evidence: finding.evidence,
        };
      }
      changed.push(tracked);
    }
    for (const [id, entry] of this.entries) {
      if (seen.has(id)) continue;
      const quietSince = Math.max(entry.tracked.lastSeen, entry.observedFrom ?? 0);
      if (at - quietSince < resolveAfterSeconds * 1000) continue;
      entry.tracked.status = 'resolved';
      entry.tracked.resolvedAt = at;
      this.entries.delete(id);
      changed.push(entry.tracked);
      events.push(event(entry.tracked, 'resolved', at));
    }
    return {
      active: [...this.entries.values()].map((e) => e.tracked.finding),
      changed: changed.map((t) => structuredClone(t)),
      events,
    };
  }

  /** the active episodes, with their lifecycle */
  get active(): TrackedFinding[] {
    return [...this.entries.values()].map((e) => e.tracked);
  }

  /** when a still-active finding was first seen (epoch ms) */
  firstSeenAt(id: string): number | undefined {
    return this.entries.get(id)?.tracked.firstSeen;
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A tracked finding as JSON (API, CLI): the finding's fields plus its lifecycle, times in ISO 8601. */
export function findingJson(tracked: TrackedFinding): Record<string, unknown> {
  return {
    ...tracked.finding,
    status: tracked.status,
    firstSeen: iso(tracked.firstSeen),
    lastSeen: iso(tracked.lastSeen),
    resolvedAt: iso(tracked.resolvedAt),
    occurrences: tracked.occurrences,
    severityChanges: tracked.severityChanges.map((c) => ({ at: iso(c.at), from: c.from, to: c.to })),
    worst: { ...tracked.worst, at: iso(tracked.worst.at) },
  };
}
