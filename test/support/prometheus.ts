import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';

// The dashboards and alert rules in dashboards/, read the way the tests need them, plus a real
// Prometheus (Debian's `prometheus` package, agent/sandbox/prometheus.ts) for integration tests.

export { PROMETHEUS_BIN } from '../../agent/sandbox/prometheus.js';
export const PROMTOOL_BIN = '/usr/bin/promtool';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const DASHBOARDS_DIR = join(ROOT, 'dashboards', 'grafana');
export const PROVISIONING_FILE = join(ROOT, 'dashboards', 'provisioning', 'dbdiag-dashboards.yaml');
export const RULES_FILE = join(ROOT, 'dashboards', 'prometheus', 'dbdiag.rules.yml');
export const RULES_TEST_FILE = join(ROOT, 'dashboards', 'prometheus', 'dbdiag.rules.test.yml');
export const RUNBOOKS_DIR = join(ROOT, 'runbooks');
/** The base every runbook link starts with (the agent serves runbooks/ there); README says how to change it. */
export const DEFAULT_RUNBOOK_BASE = 'http://dbdiag:9187/runbooks';

const run = promisify(execFile);

// ------------------------------------------------------------------ dashboards

export interface PanelTarget {
  refId: string;
  expr: string;
  instant?: boolean;
  format?: string;
}

export interface Threshold {
  color: string;
  value: number | null;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  targets?: PanelTarget[];
  fieldConfig?: {
    defaults?: { unit?: string; thresholds?: { steps: Threshold[] } };
    overrides?: { matcher: { id: string; options: string }; properties: { id: string; value: unknown }[] }[];
  };
  panels?: Panel[];
}

export interface TemplateVariable {
  name: string;
  type: string;
  query?: string | { query: string };
  definition?: string;
  datasource?: { type: string; uid: string };
}

export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  panels: Panel[];
  templating: { list: TemplateVariable[] };
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      ...(JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard),
      file,
    }));
}

/** Every panel, those inside collapsed rows included; rows themselves are left out. */
export function panelsOf(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  const walk = (panels: readonly Panel[]) => {
    for (const p of panels) {
      if (p.type === 'row') walk(p.panels ?? []);
      else out.push(p);
    }
  };
  walk(dashboard.panels);
  return out;
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

export function panelQueries(dashboards: readonly Dashboard[]): PanelQuery[] {
  return dashboards.flatMap((d) =>
    panelsOf(d).flatMap((p) =>
      (p.targets ?? []).map((t) => ({ dashboard: d.title, panel: p.title, refId: t.refId, expr: t.expr })),
    ),
  );
}

/** The PromQL inside a template variable's query (label_values(<selector>, <label>) -> the selector). */
export function variableExpr(variable: TemplateVariable): string | null {
  const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
  if (variable.type !== 'query' || !query) return null;
  const labelValues = /^label_values\(\s*(.+?)\s*,\s*[a-zA-Z_]\w*\s*\)$/.exec(query.trim());
  return labelValues ? (labelValues[1] ?? null) : query;
}

/** Replaces Grafana's variables the way Grafana does before it sends the query. */
export function substituteVariables(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`no value for Grafana variable ${whole} in: ${expr}`);
    return value;
  });
}

/** Escapes a value for a Prometheus regex matcher, as Grafana does for multi-value variables. */
export function regexEscape(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}]/g, '\\$&');
}

// ------------------------------------------------------------------ PromQL, read just enough

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
]);

export interface Selector {
  metric: string;
  labels: string[];
}

/** Removes string literals so that nothing inside a matcher value is read as PromQL. */
function withoutStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

/**
 * The vector selectors of a PromQL expression: metric names with the label names their
 * matchers use. Functions, aggregations, keywords, grouping label lists, durations and numbers
 * are not selectors. Grafana variables must have been substituted (or sit inside strings/ranges).
 */
export function selectorsIn(expr: string): Selector[] {
  let text = withoutStrings(expr)
    // range and subquery brackets, offsets: durations, not names
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?[\w$]+/g, ' ')
    // label lists of by/without/on/ignoring/group_left/group_right: "sum by (a) (x)" -> "sum (x)"
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const selectors: Selector[] = [];
  // name{matchers}
  text = text.replace(
    /([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g,
    (_whole, name: string | undefined, body: string) => {
      const labels = [...body.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1] ?? '');
      if (name && !KEYWORDS.has(name)) selectors.push({ metric: name, labels });
      else if (!name) {
        const nameMatcher = /__name__\s*=\s*"([^"]+)"/.exec(body);
        if (nameMatcher?.[1]) selectors.push({ metric: nameMatcher[1], labels });
      }
      return ' ';
    },
  );
  // bare names: identifiers not followed by "(" (a function or aggregation)
  for (const m of text.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?!\s*\(|[\w:])/g)) {
    const name = m[1] ?? '';
    if (!KEYWORDS.has(name.toLowerCase())) selectors.push({ metric: name, labels: [] });
  }
  return selectors;
}

export function metricNamesIn(expr: string): string[] {
  return [...new Set(selectorsIn(expr).map((s) => s.metric))].sort();
}

export interface RangeFunctionUse {
  fn: string;
  /** the metric the function is applied to, null when the argument is not a plain selector */
  metric: string | null;
  range: string | null;
}

/** Every rate()/irate()/increase() and what it is applied to. */
export function rangeFunctionUses(expr: string): RangeFunctionUse[] {
  const text = withoutStrings(expr);
  return [...text.matchAll(/\b(rate|irate|increase)\s*\(/g)].map((m) => {
    const rest = text.slice((m.index ?? 0) + m[0].length);
    const arg = /^\s*([a-zA-Z_:][\w:]*)\s*(?:\{[^}]*\})?\s*\[([^\]]+)\]/.exec(rest);
    return { fn: m[1] ?? '', metric: arg?.[1] ?? null, range: arg?.[2] ?? null };
  });
}

// ------------------------------------------------------------------ rules

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleFile {
  groups: { name: string; interval?: string; rules: AlertRule[] }[];
}

export function loadRules(): AlertRule[] {
  const file = parseYaml(readFileSync(RULES_FILE, 'utf8')) as RuleFile;
  return file.groups.flatMap((g) => g.rules);
}

export interface RuleTestFile {
  rule_files: string[];
  tests: {
    name: string;
    alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: unknown[] | null }[];
  }[];
}

export function loadRuleTests(): RuleTestFile {
  return parseYaml(readFileSync(RULES_TEST_FILE, 'utf8')) as RuleTestFile;
}

export async function promtool(args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(PROMTOOL_BIN, args, { cwd: ROOT });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}

// ------------------------------------------------------------------ runbooks

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Anchors of a Markdown page's headings (## and deeper, as GitHub makes them). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const m = inFence ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (m?.[1]) anchors.add(githubSlug(m[1]));
  }
  return anchors;
}

// ------------------------------------------------------------------ a real Prometheus

// The harness lives in agent/sandbox/ (drills start one at run time to time their alerts).
export {
  type PrometheusOptions,
  type PrometheusSample,
  type RunningPrometheus,
  startPrometheus,
} from '../../agent/sandbox/prometheus.js';

// ------------------------------------------------------------------ what the agent exports

/** Series Prometheus adds itself for every scrape job; rules may use them. */
const PROMETHEUS_OWN = new Map<string, readonly string[]>([['up', []]]);
/** Labels Prometheus attaches to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];

export interface ExportedMetric {
  type: string;
  labels: Set<string>;
}

/**
 * Every series name a Prometheus scraping the agent can hold, with its label names: the names
 * createMetrics registers (histograms and summaries also as _bucket/_sum/_count), plus `up`.
 */
export async function exportedMetrics(): Promise<Map<string, ExportedMetric>> {
  const { createMetrics } = await import('../../agent/exporter/metrics.js');
  const { registry } = createMetrics({ targets: () => [] });
  const out = new Map<string, ExportedMetric>();
  for (const metric of registry.getMetricsAsArray()) {
    // prom-client keeps the label names on the metric object; its typings do not expose them.
    const own = (metric as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
    const labels = new Set([...own, ...TARGET_LABELS]);
    const type = String(metric.type);
    out.set(metric.name, { type, labels });
    if (type === 'histogram' || type === 'summary') {
      const extra = type === 'histogram' ? 'le' : 'quantile';
      out.set(`${metric.name}_bucket`, { type: 'counter', labels: new Set([...labels, extra]) });
      out.set(`${metric.name}_sum`, { type: 'counter', labels });
      out.set(`${metric.name}_count`, { type: 'counter', labels });
    }
  }
  for (const [name, labels] of PROMETHEUS_OWN)
    out.set(name, { type: 'gauge', labels: new Set([...labels, ...TARGET_LABELS]) });
  return out;
}

/** Problems with the metrics an expression uses: unknown names, unknown labels, rate() on a gauge. */
export function metricProblems(expr: string, exported: ReadonlyMap<string, ExportedMetric>): string[] {
  const problems: string[] = [];
  for (const { metric, labels } of selectorsIn(expr)) {
    const known = exported.get(metric);
    if (!known) {
      problems.push(`uses ${metric}, which the agent does not export`);
      continue;
    }
    for (const label of labels)
      if (!known.labels.has(label)) problems.push(`matches label "${label}" that ${metric} does not have`);
  }
  for (const use of rangeFunctionUses(expr)) {
    if (use.metric === null) problems.push(`${use.fn}() over something that is not a plain counter selector`);
    // an unknown name is already reported above
    else if (!exported.has(use.metric)) continue;
    else if (
      !/_total$|_bucket$|_count$|_sum$/.test(use.metric) ||
      exported.get(use.metric)?.type !== 'counter'
    )
      problems.push(`${use.fn}() over ${use.metric}, which is not a counter (_total)`);
  }
  return [...new Set(problems)];
}

/**
 * The alert rules as a test can wait for them: every `for:` cut to 0s and the named literal
 * thresholds swapped (each must occur), written to `dir`; returns the file. The expressions are
 * otherwise the real ones, evaluated by a real Prometheus against the real agent.
 */
export function rulesForTest(dir: string, swaps: Readonly<Record<string, string>>): string {
  let text = readFileSync(RULES_FILE, 'utf8').replace(/^(\s+)for: \S+$/gm, '$1for: 0s');
  for (const [from, to] of Object.entries(swaps)) {
    if (!text.includes(from)) throw new Error(`rulesForTest: "${from}" is not in ${RULES_FILE}`);
    text = text.replaceAll(from, to);
  }
  const file = join(dir, 'dbdiag.rules.test-copy.yml');
  writeFileSync(file, text);
  return file;
}
