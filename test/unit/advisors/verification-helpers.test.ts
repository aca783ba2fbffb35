import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from '../../../agent/config/thresholds.js';
import { mysqlPlanFromJson, withLiterals } from '../../../agent/engines/mysql/explain.js';
import { parameterCount, planFromJson } from '../../../agent/engines/postgres/explain.js';
import { statementSources } from '../../../agent/evidence/sources.js';
import { snapshot, T0 } from './fixtures.js';

describe('statement sources for index advice', () => {
  it('takes slow-log classes (with their real sample) next to the statement statistics, most expensive first, and skips DDL', () => {
    const s = snapshot(T0, {
      statements: {
        at: T0,
        source: 'pg_stat_statements',
        resetAt: null,
        statements: [
          {
            id: 'q1',
            fingerprint: 'SELECT * FROM a WHERE x = $1',
            database: 'app',
            user: 'u',
            calls: 5,
            totalSeconds: 2,
            rows: 5,
            rowsExamined: null,
            noIndexUsedCalls: null,
            blocksHit: null,
            blocksRead: null,
            sample: null,
          },
          {
            id: 'q2',
            fingerprint: 'CREATE INDEX ON a (x)',
            database: 'app',
            user: 'u',
            calls: 1,
            totalSeconds: 9,
            rows: 0,
            rowsExamined: null,
            noIndexUsedCalls: null,
            blocksHit: null,
            blocksRead: null,
            sample: null,
          },
        ],
      },
      slowlog: {
        at: T0,
        path: '/var/log/slow.log',
        linesSkipped: 0,
        classes: [
          {
            id: 's1',
            fingerprint: 'select * from b where y = ?',
            count: 3,
            totalSeconds: 7,
            maxSeconds: 3,
            lockSeconds: 0,
            rowsSent: 3,
            rowsExamined: 3e6,
            databases: ['app'],
            sample: 'SELECT * FROM b WHERE y = 42',
            firstSeenAt: T0,
            lastSeenAt: T0,
          },
        ],
      },
    });
    expect(statementSources(s, DEFAULT_THRESHOLDS).map((x) => [x.id, x.text, x.shown])).toEqual([
      ['s1', 'SELECT * FROM b WHERE y = 42', expect.not.stringContaining('42')],
      ['q1', 'SELECT * FROM a WHERE x = $1', 'SELECT * FROM a WHERE x = $1'],
    ]);
    expect(statementSources(s, DEFAULT_THRESHOLDS, true).map((x) => x.shown)).toContain(
      'SELECT * FROM b WHERE y = 42',
    );
  });
});

describe('engine-side plan helpers', () => {
  it('counts $n parameters outside strings and comments', () => {
    expect(parameterCount("SELECT '$9' FROM t /* $8 */ WHERE a = $1 AND b IN ($2, $3)")).toBe(3);
  });
  it('reads table accesses out of a PostgreSQL JSON plan, bitmap scans included', () => {
    const plan = planFromJson(
      [
        {
          Plan: {
            'Node Type': 'Nested Loop',
            'Total Cost': 120.5,
            Plans: [
              {
                'Node Type': 'Seq Scan',
                'Relation Name': 'wo_history',
                Schema: 'public',
                'Plan Rows': 10,
                'Total Cost': 98.25,
              },
              {
                'Node Type': 'Bitmap Heap Scan',
                'Relation Name': 'orders',
                Schema: 'public',
                'Plan Rows': 5,
                Plans: [{ 'Node Type': 'Bitmap Index Scan', 'Index Name': '<1234>btree_orders_a' }],
              },
            ],
          },
        },
      ],
      'generic-plan',
    );
    expect(plan?.cost).toBe(120.5);
    expect(plan?.accesses).toEqual([
      { table: 'public.wo_history', method: 'seq', index: null, rows: 10, returned: 10, cost: 98.25 },
      { table: 'public.orders', method: 'index', index: '<1234>btree_orders_a', rows: 5 },
    ]);
  });
  it('puts literals back into MySQL digest text so it can be EXPLAINed', () => {
    expect(withLiterals('SELECT * FROM `t` WHERE `a` = ? AND `b` IN (...) LIMIT ?')).toBe(
      "SELECT * FROM `t` WHERE `a` = '0' AND `b` IN ('0') LIMIT 1",
    );
  });
  it('reads access types out of MariaDB and MySQL JSON plans', () => {
    const plan = mysqlPlanFromJson(
      JSON.stringify({
        query_block: {
          select_id: 1,
          nested_loop: [
            { table: { table_name: 'l', access_type: 'ALL', rows: 1000 } },
            { table: { table_name: 'a', access_type: 'eq_ref', key: 'PRIMARY', rows: 1 } },
          ],
        },
      }),
    );
    expect(plan?.accesses.map((a) => [a.table, a.method])).toEqual([
      ['l', 'seq'],
      ['a', 'index'],
    ]);
  });
  it('a MySQL full index scan under LIMIT stops early unless a filesort reads it all', () => {
    const ordered = JSON.stringify({
      query_block: {
        nested_loop: [{ table: { table_name: 'c', access_type: 'index', key: 'PRIMARY', rows: 20 } }],
      },
    });
    const sorted = JSON.stringify({
      query_block: {
        nested_loop: [
          {
            read_sorted_file: { filesort: { table: { table_name: 'c', access_type: 'index', rows: 9000 } } },
          },
        ],
      },
    });
    expect(mysqlPlanFromJson(ordered, true)?.accesses[0]?.method).toBe('index');
    expect(mysqlPlanFromJson(ordered, false)?.accesses[0]?.method).toBe('seq');
    expect(mysqlPlanFromJson(sorted, true)?.accesses[0]?.method).toBe('seq');
  });
  it('puts another literal into a digest when asked (retry after a plan without tables)', () => {
    expect(withLiterals('SELECT * FROM `t` WHERE `id` = ?', "'1'")).toBe(
      "SELECT * FROM `t` WHERE `id` = '1'",
    );
  });
});
