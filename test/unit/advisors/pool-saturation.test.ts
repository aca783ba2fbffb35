import { describe, expect, it } from 'vitest';
import { poolSaturation, stopGapMaxConnections } from '../../../agent/advisors/pool-saturation.js';
import type { Finding } from '../../../agent/findings/finding.js';
import type { Rates } from '../../../agent/snapshot/rates.js';
import { connections, input, snapshot, T0 } from './fixtures.js';

const slowRates: Rates = {
  cache: null,
  tables: null,
  statements: {
    at: T0 + 30_000,
    seconds: 15,
    resetSeen: false,
    // 40 calls/s x 2.4 s = 96 connections needed: held ~ needed
    items: [
      {
        id: 'q1',
        fingerprint: 'SELECT ... JOIN wo_history',
        database: 'app',
        calls: 600,
        totalSeconds: 1440,
        meanSeconds: 2.4,
        rows: 600,
        rowsExamined: null,
        noIndexUsedCalls: null,
        blocksHit: null,
        blocksRead: null,
      },
    ],
  },
};

const indexFinding = {
  id: 'missing-index:db:public.wo_history(work_order_id)',
  evidence: { statementIds: ['q1'] },
} as unknown as Finding;

describe('pool-saturation', () => {
  it('is critical at 100/100 over the window, links the missing index behind the slow statement, and proposes 100 -> 150', () => {
    const history = [0, 15_000, 30_000].map((d) =>
      snapshot(T0 + d, { connections: connections(T0 + d, 100) }),
    );
    const [f] = poolSaturation(input(history, { rates: slowRates }), [indexFinding]);
    expect(f?.severity).toBe('critical');
    expect(f?.related).toEqual([indexFinding.id]);
    expect(f?.evidence.diagnosis).toBe('slow-statements');
    expect(f?.fix?.details?.proposedMaxConnections).toBe(150);
    expect(f?.fix?.details?.extraMemoryBytes).toBe(50 * 4 * 1024 * 1024);
    expect(f?.fix?.risk).toMatch(/WARNING.*restart/);
  });

  it('does not fire on one saturated sample in a window that was otherwise calm', () => {
    const history = [
      snapshot(T0, { connections: connections(T0, 40) }),
      snapshot(T0 + 15_000, { connections: connections(T0 + 15_000, 50) }),
      snapshot(T0 + 30_000, { connections: connections(T0 + 30_000, 100) }),
    ];
    expect(poolSaturation(input(history), [])).toEqual([]);
  });

  it('calls idle-held connections an oversized or leaking pool, not a capacity problem', () => {
    const held = (at: number) =>
      connections(at, 95, {
        byState: { active: 3, idle: 62, idleInTransaction: 30, waitingLock: 0, other: 0 },
      });
    const history = [0, 15_000, 30_000].map((d) => snapshot(T0 + d, { connections: held(T0 + d) }));
    const rates: Rates = {
      ...slowRates,
      statements: slowRates.statements && {
        ...slowRates.statements,
        items: [{ ...slowRates.statements.items[0]!, totalSeconds: 30, meanSeconds: 0.05 }],
      },
    };
    const [f] = poolSaturation(input(history, { rates }), []);
    expect(f?.evidence.diagnosis).toBe('oversized-or-leaking-pools');
    expect(f?.fix?.statements.join('\n')).toMatch(/idle_in_transaction_session_timeout/);
    expect(f?.severity).toBe('warning');
  });

  it('judges the samples it has in a one-shot check (two samples 10 s apart)', () => {
    const history = [0, 10_000].map((d) => snapshot(T0 + d, { connections: connections(T0 + d, 98) }));
    expect(poolSaturation(input(history), [])).toHaveLength(1);
  });

  it('rounds the stop-gap up to ten and never proposes less than today', () => {
    expect(stopGapMaxConnections(100, 100, 1.5)).toBe(150);
    expect(stopGapMaxConnections(37, 100, 1.5)).toBe(100);
    expect(stopGapMaxConnections(91, 90, 1.5)).toBe(140);
  });
});
