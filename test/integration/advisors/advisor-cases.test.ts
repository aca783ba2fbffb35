import { describe, expect, it } from 'vitest';
import { evaluateMariadb, evaluatePostgres } from '../../advisor-cases/eval.js';
import { formatScore, proposals, type Score } from '../../advisor-cases/harness.js';

// The index-advisor test set (test/advisor-cases/cases.ts) end to end through
// `dbdiag check --format json`: precision and recall printed, and held to 0.9 — as the
// monitoring role `dbdiag grants` creates and as the superuser, on the same data: the two
// must propose exactly the same indexes.

function holds(scores: readonly Score[]): void {
  for (const s of scores) {
    process.stdout.write(`${formatScore(s)}\n`);
    expect(s.mustNotProposed).toEqual([]);
    expect(s.precision).toBeGreaterThanOrEqual(0.9);
    expect(s.recall).toBeGreaterThanOrEqual(0.9);
  }
}

/** Scores come in pairs per setting: least-privilege first, then superuser. */
function samePairs(scores: readonly Score[]): void {
  for (let i = 0; i < scores.length; i += 2) {
    const [role, superuser] = [scores[i], scores[i + 1]];
    expect(role?.engine).toMatch(/dbdiag grants/);
    expect(superuser?.engine).toMatch(/SUPERUSER/);
    expect(proposals(role as Score)).toEqual(proposals(superuser as Score));
    // and not one error from the monitoring role on the server
    expect(role?.roleErrors).toBe(0);
  }
}

describe('index advisor test set', () => {
  it('proposes the expected indexes and none of the forbidden ones on PostgreSQL (HypoPG and EXPLAIN-only), as the grants role exactly as the superuser', async () => {
    const scores = await evaluatePostgres(15, undefined, ['least-privilege', 'superuser']);
    holds(scores);
    expect(scores).toHaveLength(4);
    samePairs(scores);
  }, 480_000);

  it('proposes the expected indexes and none of the forbidden ones on MariaDB, as the grants account exactly as root', async () => {
    const scores = await evaluateMariadb(undefined, ['least-privilege', 'superuser']);
    holds(scores);
    expect(scores).toHaveLength(2);
    samePairs(scores);
  }, 480_000);
});
