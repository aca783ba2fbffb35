import { describe, expect, it } from 'vitest';
import { wrongIndexReason } from '../../../agent/advisors/missing-index.js';
import { DEFAULT_THRESHOLDS } from '../../../agent/config/thresholds.js';
import type { TableFacts } from '../../../agent/engines/engine.js';
import type { VerifiedCandidate } from '../../../agent/evidence/verify.js';

// "An index is used" is not "the best index is used": the EXPLAIN-evidence proof for a
// statement that reads a table through an index on the range (or sort) column only, or through
// a leading prefix that still matches many rows per key.

function facts(index: string[]): TableFacts {
  return {
    table: 'public.events',
    rows: 240_000,
    dataBytes: 20_000_000,
    columns: [
      { name: 'account_id', distinct: 2_000, nullFraction: 0, avgWidth: 4 },
      { name: 'created_at', distinct: 240_000, nullFraction: 0, avgWidth: 8 },
    ],
    indexes: [{ name: 'events_x0', columns: index, unique: false, primary: false, where: null }],
  };
}

function verified(index: string[], rowsPerKey: number): VerifiedCandidate {
  return {
    candidate: {
      table: 'public.events',
      columns: ['account_id', 'created_at'],
      statements: [],
      rowsPerKey,
      payload: null,
      limited: false,
      keyWrites: 0,
      equalityCount: 1,
    },
    facts: facts(index),
    verification: {
      method: 'explain',
      columns: ['account_id', 'created_at'],
      companions: [],
      plans: [
        {
          statementId: 's1',
          before: {
            cost: 900,
            method: 'generic-plan',
            accesses: [{ table: 'events', method: 'index', index: 'events_x0', rows: 12 }],
          },
          after: null,
        },
      ],
    },
  };
}

describe('wrongIndexReason', () => {
  it('proves (equality, range) when the plan uses an index on the range column only', () => {
    expect(wrongIndexReason(verified(['created_at'], 120), DEFAULT_THRESHOLDS)).toMatch(
      /lacks the leading account_id/,
    );
  });

  it('proves (equality, sort) when the plan uses the equality alone with many rows per key', () => {
    expect(wrongIndexReason(verified(['account_id'], 120), DEFAULT_THRESHOLDS)).toMatch(/~120 rows per key/);
  });

  it('proves nothing when the index used already leads with the candidate', () => {
    expect(wrongIndexReason(verified(['account_id', 'created_at'], 120), DEFAULT_THRESHOLDS)).toBeNull();
  });

  it('proves nothing when the leading equality is unselective', () => {
    expect(wrongIndexReason(verified(['created_at'], 100_000), DEFAULT_THRESHOLDS)).toBeNull();
  });
});
