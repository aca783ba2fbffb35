import { describe, expect, it } from 'vitest';
import { missingIndex, proven, type VerifiedCandidate } from '../../../agent/advisors/missing-index.js';
import { DEFAULT_THRESHOLDS } from '../../../agent/config/thresholds.js';
import type { PlanCost, TableFacts } from '../../../agent/engines/engine.js';
import type { Candidate } from '../../../agent/evidence/candidates.js';
import type { Verification } from '../../../agent/evidence/verify.js';
import { input, snapshot, T0 } from './fixtures.js';

// The decision of the missing-index advisor on verification data, as the engine hands it in.

const TABLE = 'public.work_order_history_details';

const facts: TableFacts = {
  table: TABLE,
  rows: 1_200_000,
  dataBytes: 120 * 1024 * 1024,
  columns: [
    { name: 'work_order_id', distinct: 30_000, nullFraction: 0, avgWidth: 8 },
    { name: 'operation_seq', distinct: 10, nullFraction: 0, avgWidth: 4 },
  ],
  indexes: [
    { name: 'work_order_history_details_pkey', columns: ['id'], unique: true, primary: true, where: null },
  ],
};

const candidate: Candidate = {
  table: TABLE,
  columns: ['work_order_id', 'operation_seq'],
  rowsPerKey: 40,
  statements: [
    {
      id: 'q1',
      text: 'SELECT d.event FROM work_order_history_details d WHERE d.work_order_id = $1',
      shown: 'SELECT d.event FROM work_order_history_details d WHERE d.work_order_id = $1',
      database: 'plant',
      calls: 5000,
      totalSeconds: 400,
      shape: { tables: [TABLE], aliases: { d: TABLE }, uses: [], limit: false },
    },
  ],
};

/** The plan of today: a sequential scan that reads the whole table to return ~41 rows. */
const seqPlan: PlanCost = {
  cost: 25_480.5,
  method: 'generic-plan',
  accesses: [{ table: TABLE, method: 'seq', index: null, rows: 41 }],
};

function plan(cost: number, index: string, whatIf?: PlanCost['whatIf']): PlanCost {
  return {
    cost,
    method: 'generic-plan',
    accesses: [{ table: TABLE, method: 'index', index, rows: 41 }],
    ...(whatIf ? { whatIf } : {}),
  };
}

function verified(verification: Verification): VerifiedCandidate {
  return { candidate, facts, verification };
}

describe('missing-index proof', () => {
  it('EXPLAIN evidence says how many rows the full scan reads (the table), not only what it returns', () => {
    const reason = proven(
      verified({
        method: 'explain',
        columns: candidate.columns,
        companions: [],
        plans: [{ statementId: 'q1', before: seqPlan, after: null }],
      }),
      DEFAULT_THRESHOLDS,
    );
    expect(reason).toBe(`EXPLAIN: full scan of ${TABLE} (reads ~1,200,000 rows per execution, returns ~41)`);
  });

  it('without a what-if, estimates the index scan from statistics, labelled an estimate and never as the cost after', () => {
    const v = verified({
      method: 'explain',
      columns: candidate.columns,
      companions: [],
      plans: [
        {
          statementId: 'q1',
          before: { ...seqPlan, accesses: [{ ...seqPlan.accesses[0]!, cost: 24_100 }] },
          after: null,
        },
      ],
    });
    const [f] = missingIndex(input([snapshot(T0, {})]), [v]);
    expect(f?.evidence.costAfter).toBeNull();
    expect(f?.fix?.details?.costAfter).toBeNull();
    expect(f?.evidence.scanCost).toBe(24_100);
    // 40 rows per key, each on its own heap page at random_page_cost 4: ~160-200
    expect(Number(f?.evidence.scanCostAfterEstimate)).toBeGreaterThan(150);
    expect(Number(f?.evidence.scanCostAfterEstimate)).toBeLessThan(250);
    expect(f?.summary).toMatch(
      /an index scan would cost ~\d+ instead of the scan's 24100 \(estimate from statistics, not proven\)$/,
    );
  });

  it('a sandbox build proves the cost reduction and says so in the summary, evidence and fix details', () => {
    const v = verified({
      method: 'hypopg',
      columns: candidate.columns,
      companions: [],
      plans: [
        {
          statementId: 'q1',
          before: seqPlan,
          after: plan(
            12.6,
            '<sandbox>work_order_history_details_work_order_id_operation_seq_idx',
            'sandbox-build',
          ),
        },
      ],
    });
    const [f] = missingIndex(input([snapshot(T0, {})]), [v]);
    // 99.95% less: never shown as 100%
    expect(f?.summary).toContain('sandbox build, rolled back: plan cost 25480.5 -> 12.6 (-99.9%)');
    expect(f?.evidence.method).toBe('sandbox-build');
    expect(f?.fix?.details?.costBefore).toBe(25_480.5);
    expect(f?.fix?.details?.costAfter).toBe(12.6);
    expect(f?.fix?.details?.proof).toBe('sandbox build, rolled back');
  });

  it('HypoPG proofs keep their label', () => {
    const v = verified({
      method: 'hypopg',
      columns: candidate.columns,
      companions: [],
      plans: [{ statementId: 'q1', before: seqPlan, after: plan(12.6, '<13543>btree_wohd', 'hypopg') }],
    });
    const [f] = missingIndex(input([snapshot(T0, {})]), [v]);
    expect(f?.evidence.proof).toMatch(/^HypoPG: plan cost 25480.5 -> 12.6/);
    expect(f?.fix?.details?.proof).toBe('HypoPG (hypothetical index)');
  });

  it('does not call a sandbox build that saves less than half the cost a proof', () => {
    const v = verified({
      method: 'hypopg',
      columns: candidate.columns,
      companions: [],
      plans: [{ statementId: 'q1', before: seqPlan, after: plan(20_000, '<sandbox>x', 'sandbox-build') }],
    });
    expect(missingIndex(input([snapshot(T0, {})]), [v])).toEqual([]);
  });
});
