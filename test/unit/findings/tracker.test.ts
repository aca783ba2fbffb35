import { describe, expect, it } from 'vitest';
import type { Finding, Severity } from '../../../agent/findings/finding.js';
import { FindingTracker, findingJson } from '../../../agent/findings/tracker.js';

const T0 = Date.UTC(2026, 0, 1, 10);
const S = 15_000;

function finding(severity: Severity = 'warning', used = 95): Finding {
  return {
    id: 'pool-saturation:db:connections',
    kind: 'pool-saturation',
    severity,
    target: 'db',
    object: 'connections',
    summary: `connections ${used}/100`,
    evidence: { used },
    fix: null,
    runbook: 'http://agent/runbooks/pool-saturation.md',
    related: [],
  };
}

describe('finding tracker: the life of a finding', () => {
  it('keeps a finding id while seen and resolves it only after the condition was clear long enough', () => {
    const tracker = new FindingTracker(60);
    expect(tracker.update([finding()], T0).active).toHaveLength(1);
    expect(tracker.update([], T0 + 30_000).active).toHaveLength(1);
    const resolved = tracker.update([], T0 + 61_000);
    expect(resolved.active).toHaveLength(0);
    expect(resolved.events.map((e) => e.type)).toEqual(['resolved']);
    expect(resolved.changed[0]).toMatchObject({ status: 'resolved', resolvedAt: T0 + 61_000, lastSeen: T0 });
  });

  it('counts occurrences, records severity changes with their times and keeps the evidence at its worst', () => {
    const tracker = new FindingTracker(60);
    const raised = tracker.update([finding('warning', 92)], T0);
    expect(raised.events.map((e) => [e.type, e.severity])).toEqual([['raised', 'warning']]);
    tracker.update([finding('warning', 93)], T0 + S);
    const up = tracker.update([finding('critical', 100)], T0 + 2 * S);
    expect(up.events.map((e) => [e.type, e.severity])).toEqual([['escalated', 'critical']]);
    const down = tracker.update([finding('warning', 94)], T0 + 3 * S);
    expect(down.events.map((e) => e.type)).toEqual(['deescalated']);
    const quiet = tracker.update([finding('warning', 94)], T0 + 4 * S);
    expect(quiet.events).toEqual([]);
    const t = quiet.changed[0]!;
    expect(t.occurrences).toBe(5);
    expect(t.firstSeen).toBe(T0);
    expect(t.lastSeen).toBe(T0 + 4 * S);
    expect(t.severityChanges).toEqual([
      { at: T0, from: null, to: 'warning' },
      { at: T0 + 2 * S, from: 'warning', to: 'critical' },
      { at: T0 + 3 * S, from: 'critical', to: 'warning' },
    ]);
    expect(t.worst).toMatchObject({ severity: 'critical', at: T0 + 2 * S, evidence: { used: 100 } });
    expect(t.finding.evidence).toEqual({ used: 94 });
  });

  it('a finding restored after a restart keeps its firstSeen and goes on counting', () => {
    const before = new FindingTracker(60);
    before.update([finding()], T0);
    const kept = before.update([finding()], T0 + S).changed;
    const after = new FindingTracker(60, kept);
    expect(after.active[0]?.firstSeen).toBe(T0);
    const again = after.update([finding()], T0 + 3 * S);
    expect(again.events).toEqual([]);
    expect(again.changed[0]).toMatchObject({ firstSeen: T0, occurrences: 3, status: 'active' });
  });

  it('the time the agent was down does not count as clear: a restored finding resolves only after resolveAfterSeconds observed', () => {
    const before = new FindingTracker(60);
    const kept = before.update([finding()], T0).changed;
    const after = new FindingTracker(60, kept);
    // restarted 10 minutes later, the condition not seen (yet)
    const first = after.update([], T0 + 600_000);
    expect(first.active).toHaveLength(1);
    expect(after.update([], T0 + 630_000).active).toHaveLength(1);
    const resolved = after.update([], T0 + 661_000);
    expect(resolved.events.map((e) => e.type)).toEqual(['resolved']);
  });

  it('a finding that comes back after it resolved is a new episode', () => {
    const tracker = new FindingTracker(0);
    tracker.update([finding()], T0);
    tracker.update([], T0 + S);
    const back = tracker.update([finding()], T0 + 2 * S);
    expect(back.events.map((e) => e.type)).toEqual(['raised']);
    expect(back.changed[0]).toMatchObject({ firstSeen: T0 + 2 * S, occurrences: 1 });
  });

  it('JSON carries the lifecycle with ISO 8601 times', () => {
    const tracker = new FindingTracker(60);
    const json = findingJson(tracker.update([finding()], T0).changed[0]!);
    expect(json).toMatchObject({
      id: 'pool-saturation:db:connections',
      status: 'active',
      firstSeen: '2026-01-01T10:00:00.000Z',
      lastSeen: '2026-01-01T10:00:00.000Z',
      resolvedAt: null,
      occurrences: 1,
      severityChanges: [{ at: '2026-01-01T10:00:00.000Z', from: null, to: 'warning' }],
    });
  });
});
