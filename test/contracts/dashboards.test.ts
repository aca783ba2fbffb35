import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  type Dashboard,
  DEFAULT_RUNBOOK_BASE,
  type ExportedMetric,
  exportedMetrics,
  loadDashboards,
  metricProblems,
  type Panel,
  PROVISIONING_FILE,
  panelQueries,
  panelsOf,
  rangeFunctionUses,
  substituteVariables,
  variableExpr,
} from '../support/prometheus.js';

// The Grafana dashboards in dashboards/grafana: their shape, and that every query they run
// asks for series the agent really exports (the integration test in
// test/integration/prometheus proves each one returns data from a real agent).

const dashboards = loadDashboards();
/** What a query looks like once Grafana has filled the variables in. */
/** Grafana's own ${...} syntax, written without a JS template literal. */
const GRAFANA_DATASOURCE = '$' + '{datasource}';
const RUNBOOK_LINK = '$' + '{runbook_base}/$' + '{__data.fields.kind}.md';
const FILLED = { target: '.*', __rate_interval: '1m', __range: '1h', __interval: '15s', datasource: 'x' };

let exported: Map<string, ExportedMetric>;
beforeAll(async () => {
  exported = await exportedMetrics();
});

const panelName = (d: Dashboard, p: Panel) => `${d.file} "${p.title}"`;

describe('Grafana dashboards', () => {
  it('are the four the issue asks for, each with a fixed unique uid and the dbdiag tag', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual([
      'dbdiag-connections',
      'dbdiag-overview',
      'dbdiag-queries',
      'dbdiag-replication',
      'dbdiag-tables',
    ]);
    for (const d of dashboards) {
      expect(d.tags, d.file).toContain('dbdiag');
      expect(d.schemaVersion, d.file).toBeGreaterThanOrEqual(39);
    }
  });

  it('pick the Prometheus and the targets through template variables', () => {
    for (const d of dashboards) {
      const vars = new Map(d.templating.list.map((v) => [v.name, v]));
      expect(vars.get('datasource')?.type, d.file).toBe('datasource');
      const target = vars.get('target');
      expect(target?.type, d.file).toBe('query');
      expect(target?.datasource?.uid, d.file).toBe(GRAFANA_DATASOURCE);
    }
  });

  it('give every panel a description and the datasource variable, and filter every query by $target', () => {
    const problems: string[] = [];
    for (const d of dashboards) {
      for (const p of panelsOf(d)) {
        if ((p.description ?? '').length < 40) problems.push(`${panelName(d, p)}: no real description`);
        if (p.datasource?.uid !== GRAFANA_DATASOURCE)
          problems.push(`${panelName(d, p)}: datasource not $datasource`);
        if ((p.targets ?? []).length === 0) problems.push(`${panelName(d, p)}: no query`);
        for (const t of p.targets ?? []) {
          if (!t.expr.includes('target=~"$target"'))
            problems.push(`${panelName(d, p)} ${t.refId}: not filtered by target=~"$target"`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('use $__rate_interval in every rate() and irate()', () => {
    const problems: string[] = [];
    for (const q of panelQueries(dashboards)) {
      for (const use of rangeFunctionUses(q.expr)) {
        const wanted = use.fn === 'increase' ? ['$__rate_interval', '$__range'] : ['$__rate_interval'];
        if (!wanted.includes(use.range ?? ''))
          problems.push(`${q.dashboard} "${q.panel}" ${q.refId}: ${use.fn}(...[${use.range}])`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('only query metrics and labels the agent exports, and rate() only counters', () => {
    const problems: string[] = [];
    for (const q of panelQueries(dashboards)) {
      for (const problem of metricProblems(substituteVariables(q.expr, FILLED), exported))
        problems.push(`${q.dashboard} "${q.panel}" ${q.refId}: ${problem}`);
    }
    for (const d of dashboards) {
      for (const v of d.templating.list) {
        const expr = variableExpr(v);
        if (expr !== null)
          for (const problem of metricProblems(expr, exported))
            problems.push(`${d.file} $${v.name}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('colour ratios, saturation and durations with thresholds that have a bad zone', () => {
    const problems: string[] = [];
    for (const d of dashboards) {
      for (const p of panelsOf(d)) {
        const exprs = (p.targets ?? []).map((t) => t.expr).join(' ');
        const hasBadZone = /_ratio\b|oldest_|pool_clients_waiting|pool_max_wait/.test(exprs);
        const steps = p.fieldConfig?.defaults?.thresholds?.steps ?? [];
        const colours = new Set(steps.map((s) => s.color));
        if (hasBadZone && !(colours.has('red') && steps.length >= 2))
          problems.push(`${panelName(d, p)}: a value with a known bad zone but no red threshold`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('link every finding row to its runbook through the runbook_base variable', () => {
    const findingTables = dashboards.flatMap((d) =>
      panelsOf(d)
        .filter((p) => p.type === 'table' && (p.targets ?? []).some((t) => /\bdbdiag_finding\{/.test(t.expr)))
        .map((p) => ({ d, p })),
    );
    expect(findingTables.map(({ d }) => d.uid)).toContain('dbdiag-overview');
    for (const { d, p } of findingTables) {
      const base = d.templating.list.find((v) => v.name === 'runbook_base');
      expect(base?.query, d.file).toBe(DEFAULT_RUNBOOK_BASE);
      const links = (p.fieldConfig?.overrides ?? [])
        .filter((o) => o.matcher.options === 'kind')
        .flatMap((o) => o.properties.filter((prop) => prop.id === 'links').map((prop) => prop.value))
        .flat() as { url: string }[];
      expect(
        links.map((l) => l.url),
        panelName(d, p),
      ).toContain(RUNBOOK_LINK);
    }
  });

  it('come with a Grafana provisioning file for a folder of dashboards', () => {
    const provisioning = parseYaml(readFileSync(PROVISIONING_FILE, 'utf8')) as {
      apiVersion: number;
      providers: { type: string; options: { path: string } }[];
    };
    expect(provisioning.apiVersion).toBe(1);
    expect(provisioning.providers[0]?.type).toBe('file');
    expect(provisioning.providers[0]?.options.path).toMatch(/^\//);
  });
});
