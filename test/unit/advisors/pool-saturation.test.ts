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

  it('proposes the stop-gap against the max_connections setting where the admin slot lies beyond it (MySQL/MariaDB)', () => {
    // MariaDB at 100 of max_connections 100: the server's max is 101 with one slot for an administrator
    const history = [0, 15_000, 30_000].map((d) =>
      snapshot(T0 + d, {
        connections: connections(T0 + d, 100, { max: 101, maxSetting: 100, reserved: 1, peakUsed: 100 }),
      }),
    );
    const [f] = poolSaturation(input(history, { rates: slowRates }), [indexFinding]);
    expect(f?.severity).toBe('critical');
    expect(f?.fix?.details?.currentMaxConnections).toBe(100);
    expect(f?.fix?.details?.proposedMaxConnections).toBe(150);
    // every one of the new 150 is the applications' (the admin slot is beyond them)
    expect(f?.fix?.details?.proposedAppPoolTotal).toBe(145);
    expect(f?.fix?.summary).toMatch(/^Stop-gap: max_connections 100 -> 150/);
    const raise = f?.fix?.actions.find((a) => a.type === 'set-setting');
    expect(raise?.rollback).toMatchObject({ value: 100 });
  });

  it('does not fire on one saturated sample in a window that was otherwise calm', () => {
    const history = [
      snapshot(T0, { connections: connections(T0, 40) }),
      snapshot(T0 + 15_000, { connections: connections(T0 + 15_000, 50) }),
      snapshot(T0 + 30_000, { connections: connections(T0 + 30_000, 100) }),
    ];
    expect(poolSaturation(input(history), [])).toEqual([]);
  });

  it('keeps slow statements as the cause when the pools, grown in a burst, hold idle sessions for one quiet interval', () => {
    // the plant at small scale: 90 active in the window's first samples, then a quiet interval
    // in which the application pools hold the server's 100 connections idle
    const sample = (d: number, active: number) =>
      snapshot(T0 + d, {
        connections: connections(T0 + d, 100, {
          byState: { active, idle: 100 - active, idleInTransaction: 0, waitingLock: 0, other: 0 },
        }),
      });
    const history = [sample(0, 90), sample(5_000, 88), sample(10_000, 2)];
    // the last interval: 10 calls/s x 0.1 s = 1 connection needed
    const quiet: Rates = {
      ...slowRates,
      statements: {
        ...(slowRates.statements as NonNullable<Rates['statements']>),
        seconds: 5,
        items: [
          {
            ...(slowRates.statements as NonNullable<Rates['statements']>).items[0],
            calls: 50,
            totalSeconds: 5,
            meanSeconds: 0.1,
          } as NonNullable<Rates['statements']>['items'][number],
        ],
      },
    };
    const [f] = poolSaturation(input(history, { rates: quiet }), [indexFinding]);
    expect(f?.evidence.peakActiveInWindow).toBe(90);
    expect(f?.evidence.diagnosis).toBe('slow-statements');
    expect(f?.related).toEqual([indexFinding.id]);
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

  // A real incident flickers: a connection closes and the pool re-opens it between two samples.
  const window = (used: number[]) =>
    used.map((u, i) => snapshot(T0 + i * 1000, { connections: connections(T0 + i * 1000, u) }));

  it('stays critical when the saturation flickers (one dip to 99/100 in ten samples)', () => {
    const history = window([100, 100, 100, 99, 100, 100, 100, 100, 100, 100]);
    const [f] = poolSaturation(input(history, { thresholds: { saturationWindowSeconds: 10 } }), []);
    expect(f?.severity).toBe('critical');
    expect(f?.evidence.samplesAtLevel).toBe(9);
    expect(f?.evidence.samples).toBe(10);
    expect(f?.summary).toMatch(/100% or more in 9 of 10 samples over 9 s/);
  });

  it('is not critical on a single spike to 100/100 in a window otherwise at 92/100 (a warning)', () => {
    const history = window([92, 93, 92, 100, 92, 93, 92, 92, 93, 92]);
    const [f] = poolSaturation(input(history, { thresholds: { saturationWindowSeconds: 10 } }), []);
    expect(f?.severity).toBe('warning');
  });

  it('raises nothing for a single spike to 100/100 in a calm window', () => {
    const history = window([45, 50, 48, 100, 47, 52, 49, 51, 50, 46]);
    expect(poolSaturation(input(history, { thresholds: { saturationWindowSeconds: 10 } }), [])).toEqual([]);
  });

  it('raises nothing for a healthy window', () => {
    const history = window([40, 42, 41, 43, 40, 39, 41, 42, 40, 41]);
    expect(poolSaturation(input(history, { thresholds: { saturationWindowSeconds: 10 } }), [])).toEqual([]);
  });

  it('is not critical once the latest sample has dropped below the warning ratio (it has eased off)', () => {
    const history = window([100, 100, 100, 100, 100, 100, 100, 100, 100, 60]);
    expect(poolSaturation(input(history, { thresholds: { saturationWindowSeconds: 10 } }), [])).toEqual([]);
  });

  it('rounds the stop-gap up to ten and never proposes less than today', () => {
    expect(stopGapMaxConnections(100, 100, 1.5)).toBe(150);
    expect(stopGapMaxConnections(37, 100, 1.5)).toBe(100);
    expect(stopGapMaxConnections(91, 90, 1.5)).toBe(140);
  });
});
