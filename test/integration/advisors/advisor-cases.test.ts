import { describe, expect, it } from 'vitest';
import { evaluateMariadb, evaluatePostgres } from '../../advisor-cases/eval.js';
import { formatScore } from '../../advisor-cases/harness.js';

// The index-advisor test set (test/advisor-cases/cases.ts) end to end through
// `dbdiag check --format json`: precision and recall printed, and held to 0.9.

describe('index advisor test set', () => {
  it('proposes the expected indexes and none of the forbidden ones on PostgreSQL (HypoPG and EXPLAIN-only)', async () => {
    const scores = await evaluatePostgres();
    for (const s of scores) {
      process.stdout.write(`${formatScore(s)}\n`);
      expect(s.mustNotProposed).toEqual([]);
      expect(s.precision).toBeGreaterThanOrEqual(0.9);
      expect(s.recall).toBeGreaterThanOrEqual(0.9);
    }
  }, 180_000);

  it('proposes the expected indexes and none of the forbidden ones on MariaDB', async () => {
    const [s] = await evaluateMariadb();
    if (!s) throw new Error('no score');
    process.stdout.write(`${formatScore(s)}\n`);
    expect(s.mustNotProposed).toEqual([]);
    expect(s.precision).toBeGreaterThanOrEqual(0.9);
    expect(s.recall).toBeGreaterThanOrEqual(0.9);
  }, 180_000);
});
