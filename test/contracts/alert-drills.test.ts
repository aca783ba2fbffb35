import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../agent/drills/catalogue.js';
import { loadRules, loadRuleTests } from '../support/prometheus.js';

// Every alert rule in dashboards/prometheus/dbdiag.rules.yml is proven by a drill: a scenario
// whose alertRules name it (the drill times it on a real Prometheus; the plant-incident drill
// test checks one really fires, test/integration/drills/plant-incident.test.ts), or it is listed
// below with the reason no drill fires it and the other tests that prove it. A new rule that is
// in neither fails this test; so does a listed rule a scenario has come to claim.

const ROOT = resolve(import.meta.dirname, '..', '..');

interface Proof {
  /** a repository file that proves it */
  file: string;
  /** text the file must contain (the rule, or the metric it alerts on) */
  shows: string;
}

interface NotDrilled {
  /** false: a sandbox drill cannot make it fire; true: it could, no scenario does yet */
  drillable: boolean;
  why: string;
  provedBy: Proof[];
}

const PROMTOOL_TESTS = 'dashboards/prometheus/dbdiag.rules.test.yml';

/** Rules no drill fires, why, and what proves them instead. */
const NOT_DRILLED: Record<string, NotDrilled> = {
  DbdiagAgentDown: {
    drillable: false,
    why: 'it is about the agent, not a database: the drill times alerts through its own agent, and stopping that agent is no database fault to rehearse',
    provedBy: [
      { file: PROMTOOL_TESTS, shows: 'alertname: DbdiagAgentDown' },
      { file: 'test/integration/prometheus/dashboards.test.ts', shows: 'DbdiagAgentDown' },
    ],
  },
  DbdiagTargetDown: {
    drillable: true,
    why: "no scenario stops the sandbox server yet (the issue's catalogue has none); dbdiag_up falls to 0 when a real server goes away",
    provedBy: [
      { file: PROMTOOL_TESTS, shows: 'alertname: DbdiagTargetDown' },
      { file: 'test/integration/faults/servers.test.ts', shows: 'dbdiag_up' },
    ],
  },
  DbdiagSlowLogUnreadable: {
    drillable: false,
    why: 'a file-system fault of the agent host (the followed log unreadable), not a database fault',
    provedBy: [
      { file: PROMTOOL_TESTS, shows: 'alertname: DbdiagSlowLogUnreadable' },
      { file: 'test/integration/faults/slowlog.test.ts', shows: 'dbdiag_slowlog_readable' },
    ],
  },
  DbdiagPoolerClientsWaiting: {
    drillable: false,
    why: 'needs a PgBouncer in front of the database; the drill sandbox is the database alone',
    provedBy: [
      { file: PROMTOOL_TESTS, shows: 'alertname: DbdiagPoolerClientsWaiting' },
      { file: 'test/integration/prometheus/dashboards.test.ts', shows: 'startPgBouncer' },
    ],
  },
  DbdiagReplicaLagWarning: {
    drillable: true,
    why: 'needs a primary and a replica; the sandbox can start a pair (SandboxReplicaPair) but no replication scenario exists yet',
    provedBy: [
      { file: PROMTOOL_TESTS, shows: 'alertname: DbdiagReplicaLagWarning' },
      { file: 'test/integration/postgres/replication.test.ts', shows: 'lag' },
    ],
  },
  DbdiagReplicaLagCritical: {
    drillable: true,
    why: 'as DbdiagReplicaLagWarning',
    provedBy: [
      { file: PROMTOOL_TESTS, shows: 'alertname: DbdiagReplicaLagCritical' },
      { file: 'test/integration/postgres/replication.test.ts', shows: 'lag' },
    ],
  },
  DbdiagReplicationBroken: {
    drillable: true,
    why: 'as DbdiagReplicaLagWarning',
    provedBy: [{ file: PROMTOOL_TESTS, shows: 'alertname: DbdiagReplicationBroken' }],
  },
  DbdiagReplicationSlotInactive: {
    drillable: true,
    why: 'as DbdiagReplicaLagWarning',
    provedBy: [
      { file: PROMTOOL_TESTS, shows: 'alertname: DbdiagReplicationSlotInactive' },
      { file: 'test/integration/postgres/replication.test.ts', shows: 'retainedBytes' },
    ],
  },
};

/**
 * Rules whose scenario is being written (issue #14's catalogue) and not in the catalogue yet.
 * When the scenario lands, its entry goes: the scenario names the rule in its alertRules, or
 * the rule moves to NOT_DRILLED with the reason.
 */
const AWAITING_SCENARIO: Record<string, string> = {};

const rules = loadRules().map((r) => r.alert);
const claimed = new Map<string, string[]>();
for (const scenario of SCENARIOS)
  for (const rule of scenario.alertRules) claimed.set(rule, [...(claimed.get(rule) ?? []), scenario.name]);

describe('every alert rule is proven by a drill (or says why not, and what proves it)', () => {
  it('each rule is claimed by a scenario, awaiting its scenario, or listed as not drilled — exactly one', () => {
    const unaccounted = rules.filter(
      (r) => !claimed.has(r) && NOT_DRILLED[r] === undefined && AWAITING_SCENARIO[r] === undefined,
    );
    expect(
      unaccounted,
      'rules no scenario claims and no list names: add them to a scenario or to NOT_DRILLED',
    ).toEqual([]);
    const twice = rules.filter(
      (r) =>
        [claimed.has(r), NOT_DRILLED[r] !== undefined, AWAITING_SCENARIO[r] !== undefined].filter(Boolean)
          .length > 1,
    );
    expect(twice, 'a scenario claims these now: remove them from NOT_DRILLED / AWAITING_SCENARIO').toEqual(
      [],
    );
  });

  it('the lists name only rules that exist', () => {
    expect(Object.keys(NOT_DRILLED).filter((r) => !rules.includes(r))).toEqual([]);
    expect(Object.keys(AWAITING_SCENARIO).filter((r) => !rules.includes(r))).toEqual([]);
  });

  it("every scenario's alertRules are rules of the file", () => {
    for (const scenario of SCENARIOS)
      expect(
        scenario.alertRules.filter((r) => !rules.includes(r)),
        `${scenario.name} names rules the file does not have`,
      ).toEqual([]);
  });

  it('a rule awaits a scenario only while that scenario is not in the catalogue', () => {
    const landed = Object.entries(AWAITING_SCENARIO).filter(([, name]) =>
      SCENARIOS.some((s) => s.name === name),
    );
    expect(
      landed,
      'these scenarios exist now: name the rule in their alertRules, or move it to NOT_DRILLED with the reason',
    ).toEqual([]);
  });

  it('what proves a not-drilled rule exists and shows it; promtool tests it both ways', () => {
    const promtool = loadRuleTests();
    for (const [rule, entry] of Object.entries(NOT_DRILLED)) {
      expect(entry.why.length, rule).toBeGreaterThan(10);
      for (const proof of entry.provedBy) {
        const file = join(ROOT, proof.file);
        expect(existsSync(file), `${rule}: ${proof.file}`).toBe(true);
        expect(readFileSync(file, 'utf8'), `${rule}: ${proof.file}`).toContain(proof.shows);
      }
      const cases = promtool.tests
        .flatMap((t) => t.alert_rule_test ?? [])
        .filter((t) => t.alertname === rule);
      expect(
        cases.some((c) => (c.exp_alerts ?? []).length > 0),
        `${rule}: a promtool case where it fires`,
      ).toBe(true);
      expect(
        cases.some((c) => (c.exp_alerts ?? []).length === 0),
        `${rule}: a promtool case where it does not`,
      ).toBe(true);
    }
  });
});
