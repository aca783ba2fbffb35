import { describe, expect, it } from 'vitest';
import { SQL_LEXICONS } from '../../../agent/slowlog/lexicons.js';
import { SignalRedactor } from '../../../agent/slowlog/redact-signals.js';
import type { StatementStat } from '../../../agent/snapshot/signals.js';

function stat(fingerprint: string, sample: string | null): StatementStat {
  return {
    id: '1',
    fingerprint,
    database: 'app',
    user: 'app',
    calls: 1,
    totalSeconds: 1,
    rows: 1,
    rowsExamined: null,
    noIndexUsedCalls: null,
    blocksHit: null,
    blocksRead: null,
    sample,
  };
}

describe('SignalRedactor', () => {
  it('masks what is shown and keeps literals only in the internal sample, credentials shaped in both', () => {
    const r = new SignalRedactor(SQL_LEXICONS.postgres);
    const out = r.signals({
      statements: {
        at: 0,
        source: 'pg_stat_statements',
        resetAt: null,
        statements: [
          stat("ALTER ROLE appuser PASSWORD 'LeakMe2-Pw-888'", null),
          stat('SELECT * FROM t ORDER BY 1', null),
        ],
      },
    });
    const [role, select] = out.statements?.statements ?? [];
    expect(role?.fingerprint).toBe('ALTER ROLE appuser PASSWORD ?');
    expect(role?.sample).toBe('ALTER ROLE appuser PASSWORD ?');
    expect(select?.fingerprint).toBe('SELECT * FROM t ORDER BY ?');
    // the planner needs the ordinal: the internal text keeps it
    expect(select?.sample).toBe('SELECT * FROM t ORDER BY 1');
  });

  it('redacts the slow-log classes the follower hands in', () => {
    const r = new SignalRedactor(SQL_LEXICONS.mysql);
    const out = r.signals({
      slowlog: {
        at: 0,
        path: '/var/log/slow.log',
        linesSkipped: 0,
        classes: [
          {
            id: 'a',
            fingerprint: 'select * from cards where cc = ?',
            count: 1,
            totalSeconds: 1,
            maxSeconds: 1,
            lockSeconds: 0,
            rowsSent: 1,
            rowsExamined: 1,
            databases: [],
            sample: "SELECT * FROM cards WHERE cc = '4111111111111111' /* api_key=abc */",
            firstSeenAt: null,
            lastSeenAt: null,
          },
          {
            id: 'b',
            fingerprint: 'set password for ?@? = password(?)',
            count: 1,
            totalSeconds: 1,
            maxSeconds: 1,
            lockSeconds: 0,
            rowsSent: 1,
            rowsExamined: 1,
            databases: [],
            sample: "SET PASSWORD FOR 'a'@'%' = PASSWORD('LeakMy3-Set')",
            firstSeenAt: null,
            lastSeenAt: null,
          },
        ],
      },
    });
    const [cards, password] = out.slowlog?.classes ?? [];
    expect(cards?.fingerprint).toBe('select * from cards where cc = ?');
    // the internal sample keeps the value EXPLAIN needs; it is never shown by default
    expect(cards?.sample).toContain('4111111111111111');
    expect(password?.sample).toBe('SET PASSWORD FOR ?@? = PASSWORD(?)');
  });
});
