import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import { Backoff } from '../../../agent/runtime/backoff.js';
import { dueProbes } from '../../../agent/runtime/schedule.js';

const config = loadConfig(undefined, { urls: ['postgres://h/db'] });

describe('dueProbes', () => {
  const probes = ['connections', 'statements', 'tables', 'settings'] as const;
  it('runs everything on the first cycle', () => {
    expect(dueProbes(probes, {}, 0, config)).toEqual([...probes]);
  });
  it('keeps expensive catalog probes on their slower schedule', () => {
    const last = { connections: 0, statements: 0, tables: 0, settings: 0 };
    expect(dueProbes(probes, last, 15_000, config)).toEqual(['connections', 'statements']);
    expect(dueProbes(probes, last, 60_000, config)).toEqual(['connections', 'statements', 'tables']);
  });
  it('does not let a little jitter skip a cycle', () => {
    expect(dueProbes(['connections'], { connections: 0 }, 14_000, config)).toEqual(['connections']);
  });
});

describe('Backoff', () => {
  it('doubles the wait up to a ceiling and starts over after a success', () => {
    const backoff = new Backoff(1000, 8000, () => 0);
    expect(backoff.failed(0)).toBe(1000);
    expect(backoff.ready(500)).toBe(false);
    expect(backoff.failed(1000)).toBe(2000);
    backoff.failed(0);
    expect(backoff.failed(0)).toBe(8000);
    expect(backoff.failed(0)).toBe(8000);
    backoff.succeeded();
    expect(backoff.ready(0)).toBe(true);
    expect(backoff.failed(0)).toBe(1000);
  });
});
