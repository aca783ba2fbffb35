import { describe, expect, it } from 'vitest';
import {
  ACTION_RATES,
  createIndexAction,
  dropIndexAction,
  expectedSecondsFor,
  tableMaintenanceAction,
} from '../../../agent/findings/actions.js';

// Fix actions whose run time grows with the table carry an expected time from its size and the
// rates bench:action-durations measured; the others, and an unknown size, say null.

describe('expected seconds of fix actions', () => {
  it('grows with the table at the measured rate, in whole seconds, at least one', () => {
    const gb = 1e9;
    expect(expectedSecondsFor('create-index', gb)).toBe(
      Math.ceil(gb / ACTION_RATES.createIndexBytesPerSecond),
    );
    expect(expectedSecondsFor('vacuum', gb)).toBe(Math.ceil(gb / ACTION_RATES.vacuumBytesPerSecond));
    expect(expectedSecondsFor('optimize', gb)).toBe(Math.ceil(gb / ACTION_RATES.optimizeBytesPerSecond));
    expect(expectedSecondsFor('create-index', 2 * gb)).toBeGreaterThan(
      expectedSecondsFor('create-index', gb)!,
    );
    expect(expectedSecondsFor('create-index', 1000)).toBe(1);
  });

  it('caps ANALYZE, which reads a sample of bounded size', () => {
    expect(expectedSecondsFor('analyze', 1e12)).toBe(Math.max(1, Math.ceil(ACTION_RATES.analyzeMaxSeconds)));
  });

  it('is null when the size is unknown', () => {
    expect(expectedSecondsFor('vacuum', null)).toBeNull();
    expect(expectedSecondsFor('create-index', undefined)).toBeNull();
    expect(tableMaintenanceAction('vacuum', 'public.t', 'none', 'io').expectedSeconds).toBeNull();
  });

  it('fills create-index and the re-create that rolls back a drop, not the drop itself', () => {
    const create = createIndexAction({
      table: 'public.t',
      name: 'i',
      columns: ['a'],
      risk: '',
      tableBytes: 5e8,
    });
    expect(create.expectedSeconds).toBe(expectedSecondsFor('create-index', 5e8));
    expect(create.rollback?.expectedSeconds).toBeNull();
    const drop = dropIndexAction({
      table: 'public.t',
      name: 'i',
      columns: ['a'],
      unique: false,
      where: null,
      definition: null,
      risk: '',
      tableBytes: 5e8,
    });
    expect(drop.expectedSeconds).toBeNull();
    expect(drop.rollback?.expectedSeconds).toBe(expectedSecondsFor('create-index', 5e8));
  });
});
