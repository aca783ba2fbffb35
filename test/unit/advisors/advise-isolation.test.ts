import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAdvise } from '../../../agent/advisors/advise.js';
import { ADVISORS, type Advisor, adviseOrder } from '../../../agent/advisors/registry.js';
import { DEFAULT_THRESHOLDS } from '../../../agent/config/thresholds.js';
import { createMetrics } from '../../../agent/exporter/metrics.js';
import { TargetCounters } from '../../../agent/exporter/target-counters.js';
import { FINDING_KINDS, type FindingKind } from '../../../agent/findings/finding.js';
import { connections, NO_RATES, snapshot, T0 } from './fixtures.js';

// One advisor that throws must not take the others' findings with it: it is counted
// (dbdiag_advisor_errors_total) and logged, its own last findings stand.

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

/** Saturated connections with a session idle in transaction for 10 minutes: two advisors fire. */
const history = (at: number) => [
  snapshot(at, {
    connections: connections(at, 100, {
      oldestIdleInTransactionSeconds: 600,
      byState: { active: 90, idle: 0, idleInTransaction: 10, waitingLock: 0, other: 0 },
    }),
  }),
];

describe('advisor isolation', () => {
  it('keeps every other advisor findings when one throws, counts and logs the failure, and keeps the failing one last findings', async () => {
    let fail = false;
    const flaky: Advisor = {
      explainedBy: [],
      advise: (input, context) => {
        if (fail) throw new Error('boom: a bug in an advisor');
        return ADVISORS['idle-in-transaction'].advise(input, context);
      },
    };
    const { log, lines } = capture();
    const advise = createAdvise({
      thresholds: DEFAULT_THRESHOLDS,
      runbookBaseUrl: 'http://agent/runbooks',
      log,
      advisors: { ...ADVISORS, 'idle-in-transaction': flaky },
    });
    const cycle = (at: number) =>
      advise({ target: 'db', engine: 'postgres', history: history(at), rates: NO_RATES, verified: null });

    const healthy = cycle(T0).map((f) => f.kind);
    expect(healthy).toEqual(expect.arrayContaining(['pool-saturation', 'idle-in-transaction']));

    fail = true;
    const during = cycle(T0 + 15_000).map((f) => f.kind);
    // the others are kept, the failing one's last finding stands (no false "resolved")
    expect(during).toEqual(healthy);
    cycle(T0 + 30_000);
    expect(advise.errors.get('idle-in-transaction')).toBe(2);
    expect(advise.errors.get('pool-saturation')).toBeUndefined();
    // one log line when it starts failing, not one per cycle
    const logged = lines.filter((l) => l.advisor === 'idle-in-transaction');
    expect(logged).toHaveLength(1);
    expect(String(logged[0]?.msg)).toMatch(/advisor idle-in-transaction failed: boom/);

    const text = await createMetrics({
      targets: () => [
        {
          name: 'db',
          engine: 'postgres',
          latest: undefined,
          lastUpAt: null,
          rates: NO_RATES,
          findings: [],
          probeErrors: new Map(),
          advisorErrors: advise.errors,
          verificationSeconds: 1.5,
          slowLog: null,
          counters: new TargetCounters({ statements: 5, tables: 5, slowQueryClasses: 5 }),
        },
      ],
    }).render();
    expect(text).toContain('dbdiag_advisor_errors_total{target="db",advisor="idle-in-transaction"} 2');
    expect(text).toContain('dbdiag_verification_seconds_total{target="db"} 1.5');
  });

  it('registers an advisor for every finding kind, each after the kinds that explain it', () => {
    expect(Object.keys(ADVISORS).sort()).toEqual([...FINDING_KINDS].sort());
    const order = adviseOrder(ADVISORS);
    for (const kind of FINDING_KINDS)
      for (const before of ADVISORS[kind].explainedBy as readonly FindingKind[])
        expect(order.indexOf(before)).toBeLessThan(order.indexOf(kind));
  });
});
