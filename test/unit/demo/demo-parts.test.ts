import { describe, expect, it } from 'vitest';
import { formatAppWindow, formatFindingForDemo } from '../../../agent/demo/narration.js';
import { diagnosisOf, formatSummary } from '../../../agent/demo/summary.js';
import { mysqlSandbox } from '../../../agent/engines/mysql/sandbox-server.js';
import { postgresSandbox } from '../../../agent/engines/postgres/sandbox-server.js';
import type { Finding } from '../../../agent/findings/finding.js';
import { classifyConnectError, percentile, RisingLoad } from '../../../agent/sandbox/app-load.js';
import { PoolWaitTimeout } from '../../../agent/sandbox/app-pool.js';
import { plantSql } from '../../../agent/sandbox/plant.js';

function finding(parts: Partial<Finding> & Pick<Finding, 'id' | 'kind'>): Finding {
  return {
    severity: 'warning',
    target: 'plant-db',
    object: 'x',
    summary: 's',
    evidence: {},
    fix: null,
    runbook: 'http://127.0.0.1:1/runbooks/x.md',
    related: [],
    ...parts,
  };
}

const INDEX = finding({
  id: 'missing-index:plant-db:public.work_order_history_details(work_order_id,operation_seq)',
  kind: 'missing-index',
  fix: {
    summary: 'Create index',
    actions: [],
    statements: [
      'CREATE INDEX CONCURRENTLY i ON public.work_order_history_details (work_order_id, operation_seq);',
    ],
    risk: 'r',
    rollback: 'DROP INDEX CONCURRENTLY public.i;',
    index: { table: 'public.work_order_history_details', columns: ['work_order_id', 'operation_seq'] },
  },
});

describe('the demo load', () => {
  it('stays healthy, then rises until the server refuses connections, then holds above the throughput it reached', () => {
    const load = new RisingLoad({
      capacity: 40,
      healthySeconds: 6,
      healthyShare: 0.5,
      risePerSecond: 0.25,
      holdFactor: 1.25,
      holdFloor: 0.5,
      maxFactor: 8,
    });
    expect(load.rate(0)).toBe(20);
    expect(load.rate(6)).toBe(20);
    expect(load.rate(10)).toBe(60);
    expect(load.holding).toBe(false);
    load.exhausted(10, 40);
    expect(load.holding).toBe(true);
    expect(load.rate(11)).toBe(50);
    expect(load.rate(100)).toBe(50);
  });

  it('holds no lower than a share of the rate that exhausted the server (a noisy throughput figure)', () => {
    const load = new RisingLoad({
      capacity: 40,
      healthySeconds: 0,
      healthyShare: 0.5,
      risePerSecond: 0.25,
      holdFactor: 1.25,
      holdFloor: 0.5,
      maxFactor: 8,
    });
    load.exhausted(10, 4);
    expect(load.rate(20)).toBe(60);
  });

  it('never rises past its ceiling when the server is never exhausted', () => {
    const load = new RisingLoad({
      capacity: 10,
      healthySeconds: 0,
      healthyShare: 0.5,
      risePerSecond: 1,
      holdFactor: 1.25,
      holdFloor: 0.5,
      maxFactor: 8,
    });
    expect(load.rate(1000)).toBe(80);
  });

  it('tells a full server ("too many clients": SQLSTATE 53300, MySQL 1040) from a pool wait that ran out', () => {
    const pg = postgresSandbox.classifyError;
    const my = mysqlSandbox.classifyError;
    expect(
      classifyConnectError(
        Object.assign(new Error('sorry, too many clients already'), { code: '53300' }),
        pg,
      ),
    ).toBe('too-many-clients');
    expect(classifyConnectError(Object.assign(new Error('Too many connections'), { errno: 1040 }), my)).toBe(
      'too-many-clients',
    );
    expect(classifyConnectError(new PoolWaitTimeout(10_000), pg)).toBe('pool-wait-timeout');
    expect(
      classifyConnectError(Object.assign(new Error('password authentication failed'), { code: '28P01' }), pg),
    ).toBe('query-failed');
    expect(classifyConnectError(Object.assign(new Error('Access denied'), { errno: 1045 }), my)).toBe(
      'query-failed',
    );
  });

  it('takes the 95th percentile by rank, and none of nothing', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 0.95)).toBe(95);
    expect(percentile([], 0.95)).toBeNull();
  });

  it('shows failed work orders and the error text the application got', () => {
    const line = formatAppWindow({
      at: 24,
      seconds: 2,
      rate: 60,
      submitted: 10,
      submitFailed: 6,
      reads: 40,
      readFailed: 2,
      p95Ms: 3400,
      readP95Ms: 3500,
      errors: { 'too-many-clients': 8 },
      connections: 160,
      poolCapacity: 160,
      idleConnections: 0,
      waiting: 12,
    });
    expect(line).toContain('app 0:24');
    expect(line).toContain('new work orders 5.0/s ok, 3.0/s FAILED');
    expect(line).toContain('p95 3.4 s');
    expect(line).toContain('8 "sorry, too many clients already"');
  });

  it("says the engine's own words for a full server (MariaDB: Too many connections), from its plant", () => {
    const w = {
      at: 4,
      seconds: 2,
      rate: 30,
      submitted: 1,
      submitFailed: 3,
      reads: 5,
      readFailed: 0,
      p95Ms: 900,
      readP95Ms: 900,
      errors: { 'too-many-clients': 3 },
      connections: 100,
      poolCapacity: 120,
      idleConnections: 0,
      waiting: 0,
    };
    const line = formatAppWindow(w, '', { 'too-many-clients': plantSql.mysql.fullServerMessage });
    expect(line).toContain('3 "Too many connections"');
    expect(line).not.toContain('sorry');
    expect(formatAppWindow(w, '', { 'too-many-clients': plantSql.postgres.fullServerMessage })).toContain(
      '3 "sorry, too many clients already"',
    );
  });
});

describe('the diagnosis the demo waits for', () => {
  it('is complete only when the critical saturation names the history-table index as its explanation', () => {
    const unlinked = finding({
      id: 'pool-saturation:plant-db:connections',
      kind: 'pool-saturation',
      severity: 'critical',
    });
    expect(diagnosisOf([unlinked, INDEX]).complete).toBe(false);
    const linked = { ...unlinked, related: [INDEX.id] };
    expect(diagnosisOf([linked, INDEX])).toMatchObject({ complete: true, linked: true });
  });

  it('does not count a warning-level saturation (not yet at 100%)', () => {
    const warning = finding({
      id: 'pool-saturation:plant-db:connections',
      kind: 'pool-saturation',
      severity: 'warning',
      related: [INDEX.id],
    });
    expect(diagnosisOf([warning, INDEX]).complete).toBe(false);
  });

  it('does not count an index on another table', () => {
    const other = {
      ...INDEX,
      id: 'missing-index:plant-db:public.work_orders(part_no)',
      fix: INDEX.fix && { ...INDEX.fix, index: { table: 'public.work_orders', columns: ['part_no'] } },
    };
    const saturation = finding({
      id: 'pool-saturation:plant-db:connections',
      kind: 'pool-saturation',
      severity: 'critical',
      related: [other.id],
    });
    expect(diagnosisOf([saturation, other]).complete).toBe(false);
  });

  it('narrates the proven cost reduction and how it was proven, in the finding and in the summary', () => {
    const proven: Finding = {
      ...INDEX,
      evidence: {
        costBefore: 28_684.3,
        costAfter: 12.61,
        proof: 'sandbox build, rolled back: plan cost ...',
      },
      fix: INDEX.fix && {
        ...INDEX.fix,
        details: { costBefore: 28_684.3, costAfter: 12.61, proof: 'sandbox build, rolled back' },
      },
    };
    expect(formatFindingForDemo(proven, [proven])).toContain(
      'proof: plan cost 28,684 -> 13 (-100.0%) — sandbox build, rolled back',
    );
    const saturation = finding({
      id: 'pool-saturation:plant-db:connections',
      kind: 'pool-saturation',
      severity: 'critical',
      related: [INDEX.id],
    });
    const text = formatSummary({
      diagnosedAfterSeconds: 30,
      incident: null,
      recovery: null,
      fix: null,
      findings: [saturation, proven],
      metricsUrl: 'http://127.0.0.1:1',
      fixRequested: false,
    });
    expect(text).toContain('proof: plan cost 28684 -> 12.6 (-100.0%), sandbox build, rolled back');
  });

  it('says what is missing when the diagnosis did not complete', () => {
    const text = formatSummary({
      diagnosedAfterSeconds: null,
      incident: null,
      recovery: null,
      fix: null,
      findings: [INDEX],
      metricsUrl: 'http://127.0.0.1:1',
      fixRequested: false,
    });
    expect(text).toContain('INCOMPLETE: no critical pool-saturation');
    expect(text).toContain('npm run demo -- --fix');
  });
});
