import { describe, expect, it } from 'vitest';
import {
  missingIndex,
  notWorthIt,
  proven,
  type VerifiedCandidate,
} from '../../../agent/advisors/missing-index.js';
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
  equalityCount: 2,
  payload: ['event'],
  limited: false,
  keyWrites: 0,
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

  describe('covering (Use The Index, Luke: index-only scan)', () => {
    const wide: TableFacts = {
      ...facts,
      columns: [
        ...facts.columns,
        { name: 'qty', distinct: 100, nullFraction: 0, avgWidth: 4 },
        { name: 'note', distinct: 100_000, nullFraction: 0, avgWidth: 120 },
      ],
    };
    const many = (payload: string[] | null, rowsPerKey: number, limited = false): VerifiedCandidate => ({
      candidate: { ...candidate, columns: ['work_order_id'], equalityCount: 1, rowsPerKey, payload, limited },
      facts: wide,
      verification: {
        method: 'explain',
        columns: ['work_order_id'],
        companions: [],
        plans: [
          {
            statementId: 'q1',
            before: seqPlan,
            after: null,
          },
        ],
      },
    });

    it('carries a narrow column the statement reads when each execution fetches many rows: INCLUDE on PostgreSQL', () => {
      const [f] = missingIndex(input([snapshot(T0, {})]), [many(['qty'], 2_000)]);
      expect(f?.fix?.index).toMatchObject({ columns: ['work_order_id'], include: ['qty'] });
      expect(f?.fix?.statements.join('\n')).toContain('(work_order_id) INCLUDE (qty)');
      expect(f?.evidence.proof).toMatch(/covering: each lookup matches ~2,000 rows/);
    });

    it('on InnoDB the payload is trailing key columns, and the primary key (carried by every secondary index) is left out', () => {
      const v = many(['qty', 'id'], 2_000);
      const [f] = missingIndex(input([snapshot(T0, {})], { engine: 'mysql' }), [v]);
      expect(f?.fix?.index?.include).toEqual(['qty']);
      expect(f?.fix?.statements.join('\n')).toMatch(/ADD INDEX \S+ \(`?work_order_id`?, `?qty`?\)/);
    });

    it('no payload: a few rows per lookup, a LIMIT, a wide column, or a statement reading every column', () => {
      const none = (v: VerifiedCandidate) =>
        missingIndex(input([snapshot(T0, {})]), [v])[0]?.fix?.index?.include;
      expect(none(many(['qty'], 12))).toBeUndefined();
      expect(none(many(['qty'], 2_000, true))).toBeUndefined();
      expect(none(many(['note'], 2_000))).toBeUndefined();
      expect(none(many(null, 2_000))).toBeUndefined();
    });
  });

  describe('the negatives a DBA checks (cost against benefit)', () => {
    const single = (rows: number, keyWrites = 0, calls = 5000): VerifiedCandidate => ({
      candidate: {
        ...candidate,
        keyWrites,
        statements: candidate.statements.map((s) => ({
          ...s,
          calls,
          shape: { ...s.shape, tables: [TABLE] },
        })),
      },
      facts,
      verification: {
        method: 'explain',
        columns: candidate.columns,
        companions: [],
        plans: [
          {
            statementId: 'q1',
            before: {
              ...seqPlan,
              accesses: [{ table: TABLE, method: 'seq', index: null, rows, returned: rows }],
            },
            after: null,
          },
        ],
      },
    });

    it('write-heavy: key columns rewritten far more often than the statements run', () => {
      expect(notWorthIt(single(41, 3_000, 1), DEFAULT_THRESHOLDS)).toMatch(
        /^write-heavy: its key columns are rewritten 3,000 times for 1 execution/,
      );
      expect(missingIndex(input([snapshot(T0, {})]), [single(41, 3_000, 1)])).toEqual([]);
      // the same writes against many reads: worth it, and the arithmetic is in the evidence
      const [f] = missingIndex(input([snapshot(T0, {})]), [single(41, 3_000, 5_000)]);
      expect(f?.evidence.costBenefit).toMatchObject({ keyColumnWrites: 3_000, keyColumnWritesPerCall: 0.6 });
    });

    it('unselective: a statement on one table returning a large share of it is read in full', () => {
      expect(notWorthIt(single(400_000), DEFAULT_THRESHOLDS)).toMatch(
        /^unselective: each execution returns ~400,000 of 1,200,000 rows \(33%\)/,
      );
      expect(notWorthIt(single(41), DEFAULT_THRESHOLDS)).toBeNull();
      // a LIMIT stops early whatever the filter matches
      const limited = single(400_000);
      limited.candidate.limited = true;
      expect(notWorthIt(limited, DEFAULT_THRESHOLDS)).toBeNull();
    });
  });

  describe("replace, don't add (Percona: redundant indexes)", () => {
    const withIndexes = (indexes: TableFacts['indexes']): VerifiedCandidate => ({
      candidate,
      facts: { ...facts, indexes: [...facts.indexes, ...indexes] },
      verification: {
        method: 'hypopg',
        columns: candidate.columns,
        companions: [],
        plans: [{ statementId: 'q1', before: seqPlan, after: plan(12.6, '<13543>btree_wohd', 'hypopg') }],
      },
    });
    const plain = { unique: false, primary: false, where: null };

    it('an existing index that leads the new one is dropped by the same fix, after the create, with its evidence', () => {
      const [f] = missingIndex(input([snapshot(T0, {})]), [
        withIndexes([{ name: 'wohd_wo', columns: ['work_order_id'], ...plain }]),
      ]);
      expect(f?.fix?.actions.map((a) => [a.type, 'name' in a ? a.name : null])).toEqual([
        ['create-index', 'work_order_history_details_work_order_id_operation_seq_idx'],
        ['drop-index', 'wohd_wo'],
      ]);
      expect(f?.fix?.statements.join('\n')).toMatch(
        /CREATE INDEX CONCURRENTLY[\s\S]*DROP INDEX CONCURRENTLY[^\n]*wohd_wo/,
      );
      expect(f?.fix?.summary).toContain('then drop wohd_wo (work_order_id), which it makes redundant');
      expect(f?.evidence.replaces).toEqual([
        { index: 'wohd_wo', columns: ['work_order_id'], sizeBytes: null, scans: null },
      ]);
      expect(f?.evidence.proof).toMatch(
        /replace, don't add: wohd_wo \(work_order_id\) is a leading prefix of \(work_order_id, operation_seq\)/,
      );
      // undone in reverse: the old index back before the new one goes
      expect(f?.fix?.rollback).toMatch(
        /CREATE INDEX[\s\S]*wohd_wo[\s\S]*DROP INDEX[^;]*work_order_id_operation_seq_idx/,
      );
    });

    it('keeps an index that enforces uniqueness, a partial one, and one that does not lead the new index', () => {
      const [f] = missingIndex(input([snapshot(T0, {})]), [
        withIndexes([
          { name: 'wohd_wo_unique', columns: ['work_order_id'], unique: true, primary: false, where: null },
          {
            name: 'wohd_wo_open',
            columns: ['work_order_id'],
            unique: false,
            primary: false,
            where: 'closed = false',
          },
          { name: 'wohd_seq', columns: ['operation_seq'], ...plain },
          { name: 'wohd_wo_seq_at', columns: ['work_order_id', 'operation_seq', 'at'], ...plain },
        ]),
      ]);
      expect(f?.fix?.actions.map((a) => a.type)).toEqual(['create-index']);
      expect(f?.evidence.replaces).toEqual([]);
    });
  });

  describe('unselective without a row estimate in the plan (MariaDB without condition statistics)', () => {
    const VISITS = 'cases.visits';
    const visits = (sql: string, ranges: number): VerifiedCandidate => ({
      candidate: {
        table: VISITS,
        columns: ['region', 'visited_at'],
        rowsPerKey: 40_000,
        equalityCount: 1,
        payload: [],
        limited: false,
        keyWrites: 0,
        statements: [
          {
            id: 'v1',
            text: sql,
            shown: sql,
            database: 'cases',
            calls: 10,
            totalSeconds: 0.3,
            shape: {
              tables: [VISITS],
              aliases: {},
              uses: [
                { table: null, column: 'region', kind: 'eq' },
                ...Array.from({ length: ranges }, () => ({
                  table: null,
                  column: 'visited_at',
                  kind: 'range' as const,
                })),
              ],
              limit: false,
            },
          },
        ],
      },
      facts: {
        table: VISITS,
        rows: 120_000,
        dataBytes: 4 * 1024 * 1024,
        columns: [
          { name: 'region', distinct: 3, nullFraction: 0, avgWidth: 4 },
          { name: 'visited_at', distinct: 120_000, nullFraction: 0, avgWidth: 8 },
        ],
        indexes: [],
      },
      verification: {
        method: 'explain',
        columns: ['region', 'visited_at'],
        companions: [],
        // filtered 100: no `returned`
        plans: [
          {
            statementId: 'v1',
            before: {
              cost: 120_000,
              method: 'generic-plan',
              accesses: [{ table: VISITS, method: 'seq', index: null, rows: 120_000 }],
            },
            after: null,
          },
        ],
      },
    });

    it("a third of a lookup's rows past one open-ended bound (the planner's default) is judged against the share", () => {
      expect(
        notWorthIt(
          visits("SELECT COUNT(*) FROM `visits` WHERE `region` = 1 AND `visited_at` > '2024-01-07'", 1),
          DEFAULT_THRESHOLDS,
        ),
      ).toMatch(
        /^unselective: each execution returns ~13,333 of 120,000 rows \(11%\).*estimated from the statistics/,
      );
    });

    it('a closed range (>= and <, BETWEEN) is not judged from the default', () => {
      expect(
        notWorthIt(
          visits(
            "SELECT COUNT(*) FROM visits WHERE region = 1 AND visited_at >= '2024-01-07' AND visited_at < '2024-01-08'",
            2,
          ),
          DEFAULT_THRESHOLDS,
        ),
      ).toBeNull();
      expect(
        notWorthIt(
          visits(
            "SELECT COUNT(*) FROM visits WHERE region = 1 AND visited_at BETWEEN '2024-01-07' AND '2024-01-08'",
            1,
          ),
          DEFAULT_THRESHOLDS,
        ),
      ).toBeNull();
    });
  });
});
