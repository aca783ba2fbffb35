import { describe, expect, it } from 'vitest';
import { BoundedCounters, OTHER } from '../../../agent/exporter/accumulator.js';

describe('BoundedCounters', () => {
  it('gives the costliest keys their own series and sums the rest under "other"', () => {
    const counters = new BoundedCounters(2);
    counters.add([
      { key: 'q1', deltas: { calls: 5 } },
      { key: 'q2', deltas: { calls: 3 } },
      { key: 'q3', deltas: { calls: 2 } },
      { key: 'q4', deltas: { calls: 1 } },
    ]);
    expect(Object.fromEntries(counters.entries('calls'))).toEqual({ q1: 5, q2: 3, [OTHER]: 3 });
  });

  it('only ever grows: deltas accumulate across intervals', () => {
    const counters = new BoundedCounters(5);
    counters.add([{ key: 'q1', deltas: { calls: 5 } }]);
    counters.add([{ key: 'q1', deltas: { calls: 2 } }]);
    expect(counters.entries('calls')).toEqual([['q1', 7]]);
  });

  it('keeps cardinality bounded however many distinct keys arrive', () => {
    const counters = new BoundedCounters(10, 3);
    for (let round = 0; round < 50; round++) {
      counters.add(Array.from({ length: 100 }, (_, i) => ({ key: `r${round}q${i}`, deltas: { calls: 1 } })));
    }
    expect(counters.keys().length).toBeLessThanOrEqual(11);
  });

  it('frees the place of a key that stopped moving', () => {
    const counters = new BoundedCounters(1, 2);
    counters.add([{ key: 'old', deltas: { calls: 1 } }]);
    for (let i = 0; i < 3; i++) counters.add([]);
    counters.add([{ key: 'new', deltas: { calls: 1 } }]);
    expect(counters.keys()).toContain('new');
    expect(counters.keys()).not.toContain('old');
  });
});
