import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FINDING_KINDS } from '../../agent/findings/finding.js';
import {
  DEFAULT_RUNBOOK_BASE,
  type ExportedMetric,
  exportedMetrics,
  headingAnchors,
  loadRules,
  loadRuleTests,
  metricProblems,
  PROMTOOL_BIN,
  promtool,
  RULES_FILE,
  RULES_TEST_FILE,
  RUNBOOKS_DIR,
} from '../support/prometheus.js';

// The Prometheus alert rules in dashboards/prometheus: promtool accepts them, their unit tests
// pass and cover every alert both ways, they use only exported metrics, and every runbook_url
// leads to an existing runbook page and section.

const rules = loadRules();

let exported: Map<string, ExportedMetric>;
beforeAll(async () => {
  exported = await exportedMetrics();
});

/** runbook_url -> the runbook pages and anchors it can name ({{ $labels.kind }} -> every finding kind). */
function runbookTargets(url: string): { page: string; anchor: string | null }[] {
  const kindTemplate = /\{\{\s*\$labels\.kind\s*\}\}/;
  const urls = kindTemplate.test(url) ? FINDING_KINDS.map((k) => url.replace(kindTemplate, k)) : [url];
  return urls.map((u) => {
    const rest = u.slice(DEFAULT_RUNBOOK_BASE.length + 1);
    const [page = '', anchor] = rest.split('#');
    return { page, anchor: anchor ?? null };
  });
}

describe('Prometheus alert rules', () => {
  it('cover what the issue asks for', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'DbdiagAgentDown',
        'DbdiagTargetDown',
        'DbdiagConnectionSaturationWarning',
        'DbdiagConnectionSaturationCritical',
        'DbdiagPoolerClientsWaiting',
        'DbdiagSlowLogUnreadable',
        'DbdiagCacheHitRatioLow',
        'DbdiagCriticalFinding',
        'DbdiagSlowQueryRateSpike',
        'DbdiagIdleInTransaction',
        'DbdiagLongRunningTransaction',
        'DbdiagReplicaLagWarning',
        'DbdiagReplicaLagCritical',
        'DbdiagReplicationBroken',
        'DbdiagReplicationSlotInactive',
      ].sort(),
    );
  });

  it('pass promtool check rules', async () => {
    expect(existsSync(PROMTOOL_BIN), `${PROMTOOL_BIN} missing: run scripts/setup.mjs --system`).toBe(true);
    const result = await promtool(['check', 'rules', RULES_FILE]);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok, result.output).toBe(true);
  });

  it('pass their promtool unit tests', async () => {
    const result = await promtool(['test', 'rules', RULES_TEST_FILE]);
    expect(result.ok, result.output).toBe(true);
  });

  it('each have a unit test where they fire and one where they stay silent', () => {
    const cases = loadRuleTests().tests.flatMap((t) => t.alert_rule_test ?? []);
    const missing: string[] = [];
    for (const { alert } of rules) {
      const own = cases.filter((c) => c.alertname === alert);
      if (!own.some((c) => (c.exp_alerts ?? []).length > 0)) missing.push(`${alert}: no case where it fires`);
      if (!own.some((c) => (c.exp_alerts ?? []).length === 0)) missing.push(`${alert}: no silent case`);
    }
    expect(missing).toEqual([]);
  });

  it('each have for, severity, summary, description and runbook_url', () => {
    const problems: string[] = [];
    for (const r of rules) {
      if (!r.for) problems.push(`${r.alert}: no for`);
      if (!['critical', 'warning', 'info'].includes(r.labels?.severity ?? ''))
        problems.push(`${r.alert}: severity ${r.labels?.severity}`);
      for (const key of ['summary', 'description', 'runbook_url'])
        if (!r.annotations?.[key]) problems.push(`${r.alert}: no ${key}`);
    }
    expect(problems).toEqual([]);
  });

  it('only use metrics and labels the agent exports, and rate() only counters', () => {
    const problems = rules.flatMap((r) => metricProblems(r.expr, exported).map((p) => `${r.alert}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('link to runbook pages and sections that exist, all under one base URL', () => {
    const problems: string[] = [];
    for (const r of rules) {
      const url = r.annotations?.runbook_url ?? '';
      if (!url.startsWith(`${DEFAULT_RUNBOOK_BASE}/`)) {
        problems.push(`${r.alert}: ${url} does not start with ${DEFAULT_RUNBOOK_BASE}/`);
        continue;
      }
      for (const { page, anchor } of runbookTargets(url)) {
        const file = join(RUNBOOKS_DIR, page);
        if (!existsSync(file)) {
          problems.push(`${r.alert}: runbooks/${page} does not exist`);
          continue;
        }
        if (anchor === null) problems.push(`${r.alert}: ${url} names no section (#anchor)`);
        else if (!headingAnchors(readFileSync(file, 'utf8')).has(anchor))
          problems.push(`${r.alert}: runbooks/${page} has no heading with anchor #${anchor}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
