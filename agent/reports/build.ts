import { type EvidenceValue, SEVERITIES, type Severity } from '../findings/finding.js';
import type { TrackedFinding } from '../findings/tracker.js';
import { hourOf } from '../state/rollup.js';
import type { RollupHourPoint, SlowClassHour, StatementSum, Store } from '../state/store.js';
import type {
  AuditPosture,
  Baseline,
  Capacity,
  Changes,
  FindingGroups,
  MaintenanceItem,
  Report,
  ReportFinding,
  ReportKind,
  SlowLogLine,
  StatementLine,
  Statements,
  TargetReport,
  Trigger,
  Verdict,
} from './model.js';
import { REPORT_SCHEMA_VERSION } from './model.js';
import { count, isoSecond, percent, ratio, sig } from './round.js';

// A report from the state store: what happened to each target over a period, compared with a
// baseline (the previous report of the same kind, or the previous period of the same length).
// Reads the store only; the caller decides the period, the baseline and where the report goes.

export interface BuildOptions {
  id: string;
  kind: ReportKind;
  /** epoch ms, [from, to) */
  from: number;
  to: number;
  now: number;
  /** only this target */
  target?: string | undefined;
  /** the report compared with; null: the previous period of the same length */
  baseline: Report | null;
  /** a schedule's run (default: on demand) */
  trigger?: Trigger;
  /** earlier reports of the same kind, newest first (for "seen in N of the last M reports") */
  history: readonly Report[];
  /** a statement regresses when its mean time grows by at least this many percent ... */
  regressionPercent?: number;
  /** ... with at least this many calls in the period and in the baseline */
  minCalls?: number;
  /** data size limits per target (bytes), for the days until each is reached */
  dataLimits?: Readonly<Record<string, number>>;
}

export const REGRESSION_PERCENT = 25;
export const MIN_CALLS = 10;
const TOP_STATEMENTS = 10;
const KEPT_STATEMENTS = 200;
/** the reports "seen in N of the last M" looks back over, this one included */
export const SEEN_IN_WINDOW = 30;

const MAINTENANCE_ACTIONS = new Set(['vacuum', 'analyze', 'optimize', 'drop-index']);

const rank = (s: Severity): number => SEVERITIES.indexOf(s);

/** evidence with its numbers rounded like the rest of the report */
function roundEvidence(value: EvidenceValue): EvidenceValue {
  if (typeof value === 'number') return Number.isInteger(value) ? count(value) : sig(value);
  if (Array.isArray(value)) return value.map(roundEvidence);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundEvidence(v)]));
  return value;
}

/** the finding ids a report listed for a target, by group */
function listed(report: Report | null | undefined, target: string): Map<string, ReportFinding> {
  const out = new Map<string, ReportFinding>();
  const t = report?.targets.find((x) => x.target === target);
  if (!t) return out;
  for (const f of [...t.findings.new, ...t.findings.persisting, ...t.findings.regressed]) out.set(f.id, f);
  return out;
}

function everListed(report: Report, target: string, id: string): boolean {
  const t = report.targets.find((x) => x.target === target);
  if (!t) return false;
  const g = t.findings;
  return [g.new, g.persisting, g.regressed, g.resolved].some((list) => list.some((f) => f.id === id));
}

interface FindingContext {
  from: number;
  to: number;
  target: string;
  baseline: Report | null;
  /** episodes open at the baseline's end, when the baseline is a period (no report) */
  openAtBaselineEnd: Map<string, Severity>;
  history: readonly Report[];
}

function reportFinding(
  t: TrackedFinding,
  ctx: FindingContext,
  previousSeverity: Severity | null,
  resolved: boolean,
): ReportFinding {
  const f = t.finding;
  const end =
    resolved && t.resolvedAt !== null ? t.resolvedAt : Math.min(ctx.to, Math.max(t.lastSeen, ctx.from));
  const history = ctx.history.slice(0, SEEN_IN_WINDOW - 1);
  return {
    id: f.id,
    kind: f.kind,
    severity: f.severity,
    previousSeverity,
    object: f.object,
    summary: f.summary,
    firstSeen: isoSecond(t.firstSeen),
    lastSeen: isoSecond(t.lastSeen),
    resolvedAt: resolved && t.resolvedAt !== null ? isoSecond(t.resolvedAt) : null,
    durationSeconds: count(Math.max(0, end - t.firstSeen) / 1000),
    occurrences: t.occurrences,
    seenIn: {
      reports: 1 + history.filter((r) => everListed(r, ctx.target, f.id)).length,
      of: 1 + history.length,
    },
    fix: f.fix ? { summary: f.fix.summary, statements: [...f.fix.statements] } : null,
    proof: roundEvidence(t.worst.evidence) as Record<string, unknown>,
    runbook: f.runbook,
  };
}

function groupFindings(episodes: readonly TrackedFinding[], ctx: FindingContext): FindingGroups {
  const groups: FindingGroups = { new: [], persisting: [], resolved: [], regressed: [] };
  const before = ctx.baseline ? listed(ctx.baseline, ctx.target) : null;
  for (const t of episodes) {
    if (t.firstSeen >= ctx.to) continue;
    const resolvedAt = t.resolvedAt;
    if (resolvedAt !== null && resolvedAt < ctx.from) continue;
    if (resolvedAt !== null && resolvedAt < ctx.to) {
      groups.resolved.push(reportFinding(t, ctx, null, true));
      continue;
    }
    // open at the end of the period
    const previous = before
      ? (before.get(t.finding.id)?.severity ?? null)
      : (ctx.openAtBaselineEnd.get(t.finding.id) ?? null);
    if (previous === null) groups.new.push(reportFinding(t, ctx, null, false));
    else if (rank(t.finding.severity) > rank(previous))
      groups.regressed.push(reportFinding(t, ctx, previous, false));
    else groups.persisting.push(reportFinding(t, ctx, null, false));
  }
  const order = (a: ReportFinding, b: ReportFinding) =>
    rank(b.severity) - rank(a.severity) || a.id.localeCompare(b.id);
  for (const list of Object.values(groups)) list.sort(order);
  return groups;
}

function statementMap(sums: readonly StatementSum[]): Map<string, StatementSum> {
  return new Map(sums.map((s) => [s.queryId, s]));
}

function statements(
  current: Map<string, StatementSum>,
  baseline: Map<string, { calls: number; meanSeconds: number | null }>,
  regressionPercent: number,
  minCalls: number,
): Statements {
  const lines: (StatementLine & { addedSeconds: number })[] = [];
  for (const [queryId, s] of current) {
    if (s.calls <= 0 && s.totalSeconds <= 0) continue;
    const mean = s.calls > 0 ? s.totalSeconds / s.calls : null;
    const b = baseline.get(queryId);
    const change =
      mean !== null && b?.meanSeconds !== null && b?.meanSeconds !== undefined && b.meanSeconds > 0
        ? ((mean - b.meanSeconds) / b.meanSeconds) * 100
        : null;
    lines.push({
      queryId,
      fingerprint: s.fingerprint,
      calls: count(s.calls),
      totalSeconds: sig(s.totalSeconds) ?? 0,
      meanSeconds: sig(mean),
      baselineCalls: b ? count(b.calls) : null,
      baselineMeanSeconds: b ? sig(b.meanSeconds) : null,
      meanChangePercent: percent(change),
      addedSeconds: mean !== null && b?.meanSeconds != null ? s.calls * (mean - b.meanSeconds) : 0,
    });
  }
  lines.sort((a, b) => b.totalSeconds - a.totalSeconds || a.queryId.localeCompare(b.queryId));
  const strip = ({ addedSeconds: _added, ...line }: StatementLine & { addedSeconds: number }) => line;
  const named = lines.filter((l) => l.queryId !== 'other');
  const regressions = named
    .filter(
      (l) =>
        l.meanChangePercent !== null &&
        l.meanChangePercent >= regressionPercent &&
        l.calls >= minCalls &&
        (l.baselineCalls ?? 0) >= minCalls,
    )
    .sort((a, b) => b.addedSeconds - a.addedSeconds);
  const top = lines.slice(0, TOP_STATEMENTS);
  const fresh = named.slice(0, TOP_STATEMENTS).filter((l) => l.baselineCalls === null && l.calls >= minCalls);
  return {
    top: top.map(strip),
    regressions: regressions.map(strip),
    new: fresh.map(strip),
    all: lines.slice(0, KEPT_STATEMENTS).map(strip),
    slowLog: [],
  };
}

const DAY_MS = 86_400_000;
/** counters listed per target */
const TOP_COUNTERS = 10;

/** growth per day between the first and last sample; null with fewer than two an hour apart */
function perDay(first: { at: number; value: number } | null, last: { at: number; value: number } | null) {
  if (!first || !last || last.at - first.at < 3_600_000) return null;
  return ((last.value - first.value) / (last.at - first.at)) * DAY_MS;
}

/** days until `left` is used up at `rate` per day; null when it does not grow */
function daysLeft(left: number, rate: number | null): number | null {
  if (rate === null || rate <= 0) return null;
  return sig(Math.max(0, left) / rate);
}

function capacity(hours: readonly RollupHourPoint[], dataLimit: number | null): Capacity {
  let peak: number | null = null;
  let maxConnections: number | null = null;
  let saturationMax: number | null = null;
  let minutes = 0;
  let hits = 0;
  let reads = 0;
  const sized: { at: number; value: number }[] = [];
  const databaseSized: { at: number; value: number }[] = [];
  const xids: { at: number; age: number; next: number; limit: number; database: string }[] = [];
  const counters = new Map<
    string,
    { first: { at: number; value: number }; last: { at: number; value: number }; max: number }
  >();
  for (const r of hours) {
    if (r.connectionsPeak !== null) peak = Math.max(peak ?? 0, r.connectionsPeak);
    if (r.maxConnections !== null) maxConnections = r.maxConnections;
    if (r.saturationMax !== null) saturationMax = Math.max(saturationMax ?? 0, r.saturationMax);
    minutes += r.saturationWarningMinutes;
    hits += r.cacheHits;
    reads += r.cacheReads;
    if (r.tableBytes !== null) sized.push({ at: r.hour, value: r.tableBytes });
    const extra = r.extra;
    if (!extra) continue;
    if (extra.databaseBytes !== null) databaseSized.push({ at: r.hour, value: extra.databaseBytes });
    if (extra.transactionIds) xids.push({ at: r.hour, ...extra.transactionIds });
    for (const c of extra.counters) {
      const point = { at: r.hour, value: c.value };
      const known = counters.get(c.name);
      if (known) {
        known.last = point;
        known.max = c.max;
      } else counters.set(c.name, { first: point, last: point, max: c.max });
    }
  }
  const source = databaseSized.length > 0 ? 'database' : sized.length > 0 ? 'top-tables' : null;
  const sizes = source === 'database' ? databaseSized : sized;
  const first = sizes[0] ?? null;
  const last = sizes.at(-1) ?? null;
  const growth = perDay(first, last);
  const xidFirst = xids[0];
  const xidLast = xids.at(-1);
  const xidRate =
    xidFirst && xidLast
      ? perDay({ at: xidFirst.at, value: xidFirst.next }, { at: xidLast.at, value: xidLast.next })
      : null;
  return {
    hours: hours.length,
    connectionsPeak: peak,
    maxConnections,
    headroom: peak !== null && maxConnections !== null ? maxConnections - peak : null,
    saturationMax: ratio(saturationMax),
    minutesAtSaturationWarning: sig(minutes, 2) ?? 0,
    cacheHitRatio: ratio(hits + reads > 0 ? hits / (hits + reads) : null),
    dataBytes: last === null ? null : sig(last.value),
    dataGrowthBytes: last === null || first === null ? null : sig(last.value - first.value),
    dataSource: source,
    dataGrowthPerDayBytes: sig(growth),
    dataLimitBytes: dataLimit,
    daysToDataLimit: dataLimit !== null && last !== null ? daysLeft(dataLimit - last.value, growth) : null,
    transactionIds: xidLast
      ? {
          database: xidLast.database,
          age: count(xidLast.age),
          limit: xidLast.limit,
          usedPercent: sig((xidLast.age / xidLast.limit) * 100, 2) ?? 0,
          perDay: sig(xidRate),
          daysToLimit: daysLeft(xidLast.limit - xidLast.age, xidRate),
        }
      : null,
    counters: [...counters.entries()]
      .map(([name, c]) => {
        const rate = perDay(c.first, c.last);
        return {
          name,
          // exact: how close a counter is to its maximum is the point
          value: Math.round(c.last.value),
          max: c.max,
          usedPercent: sig((c.last.value / c.max) * 100, 2) ?? 0,
          perDay: sig(rate),
          daysToMax: daysLeft(c.max - c.last.value, rate),
          fraction: c.last.value / c.max,
        };
      })
      .sort((a, b) => b.fraction - a.fraction || a.name.localeCompare(b.name))
      .slice(0, TOP_COUNTERS)
      .map(({ fraction: _fraction, ...c }) => c),
    trend: hours.map((r) => ({
      at: isoSecond(r.hour),
      connectionsPeak: r.connectionsPeak,
      cacheHitRatio: ratio(r.cacheHitRatio),
      statementSeconds: sig(r.statementSeconds) ?? 0,
    })),
  };
}

/** slow-log classes summed over the period's hours, compared with the same classes in the baseline hours */
function slowLog(
  hours: readonly RollupHourPoint[],
  baselineHours: readonly RollupHourPoint[],
): SlowLogLine[] {
  const sum = (list: readonly RollupHourPoint[]) => {
    const out = new Map<string, SlowClassHour>();
    for (const h of list)
      for (const c of h.extra?.slowQueries ?? []) {
        const s = out.get(c.id) ?? { ...c, count: 0, totalSeconds: 0, maxSeconds: 0, rowsExamined: 0 };
        s.count += c.count;
        s.totalSeconds += c.totalSeconds;
        s.rowsExamined += c.rowsExamined;
        s.maxSeconds = Math.max(s.maxSeconds, c.maxSeconds);
        out.set(c.id, s);
      }
    return out;
  };
  const before = sum(baselineHours);
  return [...sum(hours).values()]
    .sort((a, b) => b.totalSeconds - a.totalSeconds || a.id.localeCompare(b.id))
    .slice(0, TOP_STATEMENTS)
    .map((c) => ({
      id: c.id,
      fingerprint: c.fingerprint,
      count: count(c.count),
      totalSeconds: sig(c.totalSeconds) ?? 0,
      maxSeconds: sig(c.maxSeconds) ?? 0,
      rowsExamined: count(c.rowsExamined),
      baselineCount: before.has(c.id) ? count(before.get(c.id)?.count ?? 0) : null,
    }));
}

/** server starts inside the period, from the start time the server reports */
function restarts(hours: readonly RollupHourPoint[], from: number, to: number): { at: string }[] {
  const starts = new Set<number>();
  for (const h of hours) {
    const at = h.extra?.serverStartedAt;
    // a start time moves by a second or so between samples (MySQL: now - Uptime): a restart is a new start inside the period
    if (at !== null && at !== undefined && at >= from && at < to) starts.add(Math.floor(at / 60_000));
  }
  return [...starts].sort((a, b) => a - b).map((m) => ({ at: isoSecond(m * 60_000) }));
}

function maintenance(open: readonly TrackedFinding[]): MaintenanceItem[] {
  const items: MaintenanceItem[] = [];
  for (const t of open) {
    const fix = t.finding.fix;
    if (!fix?.actions.some((a) => MAINTENANCE_ACTIONS.has(a.type))) continue;
    const size = t.finding.evidence.sizeBytes;
    items.push({
      findingId: t.finding.id,
      kind: t.finding.kind,
      object: t.finding.object,
      statements: [...fix.statements],
      effect: fix.summary,
      sizeBytes: typeof size === 'number' ? sig(size) : null,
    });
  }
  return items.sort((a, b) => a.findingId.localeCompare(b.findingId));
}

function verdict(
  groups: FindingGroups,
  stmts: Statements,
  cap: Capacity,
): { status: Verdict; reason: string } {
  const open = [...groups.regressed, ...groups.new, ...groups.persisting];
  const critical = open.find((f) => f.severity === 'critical');
  if (critical) return { status: 'critical', reason: critical.summary };
  const regression = stmts.regressions[0];
  // a server that audits too little is a standing warning: the reason names it only when nothing operational does
  const warning = open.find((f) => f.severity === 'warning' && f.kind !== 'audit-posture');
  if (warning) return { status: 'warning', reason: warning.summary };
  if (regression)
    return {
      status: 'warning',
      reason: `statement ${regression.queryId} mean time up ${regression.meanChangePercent}% (${regression.baselineMeanSeconds} s -> ${regression.meanSeconds} s)`,
    };
  if (cap.minutesAtSaturationWarning > 0)
    return {
      status: 'warning',
      reason: `connections at the saturation warning for ${cap.minutesAtSaturationWarning} min`,
    };
  const audit = open.find((f) => f.severity === 'warning');
  if (audit) return { status: 'warning', reason: audit.summary };
  if (groups.resolved.length > 0)
    return { status: 'ok', reason: `no open findings; ${groups.resolved.length} resolved during the period` };
  return {
    status: 'ok',
    reason: open.length > 0 ? `${open.length} informational finding(s)` : 'no open findings',
  };
}

const VERDICT_ORDER: readonly Verdict[] = ['ok', 'warning', 'critical'];

const AUDITED = ['ddl', 'roles', 'writes', 'connections'] as const;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/**
 * The audit posture at the end of the period: the open audit-posture finding says what falls
 * short (with its fix); the audit probe's last reading in the rollups says what is logged when
 * nothing does.
 */
export function auditPosture(
  hours: readonly RollupHourPoint[],
  openAtEnd: readonly TrackedFinding[],
): AuditPosture | null {
  const last = [...hours].reverse().find((h) => h.extra?.audit);
  const reading = last?.extra?.audit ?? null;
  const open = openAtEnd.find((t) => t.finding.kind === 'audit-posture');
  if (!reading && !open) return null;
  const f = open?.finding;
  const e = f?.evidence ?? {};
  const retentionDays = f
    ? typeof e.retentionDays === 'number'
      ? e.retentionDays
      : null
    : (reading?.retentionDays ?? null);
  return {
    at: last ? isoSecond(last.hour) : null,
    status: f ? (f.severity === 'info' ? 'info' : 'warning') : 'ok',
    sources: f ? strings(e.sources) : [...(reading?.sources ?? [])],
    logged: f ? strings(e.logged) : AUDITED.filter((op) => reading?.logs[op]),
    notLogged: f ? strings(e.notLogged) : [],
    retentionDays: retentionDays === null ? null : sig(retentionDays),
    retention: f ? String(e.retention ?? '') : (reading?.retention ?? ''),
    targetRetentionDays: typeof e.targetRetentionDays === 'number' ? e.targetRetentionDays : null,
    findingId: f?.id ?? null,
    fix: f?.fix ? { summary: f.fix.summary, statements: [...f.fix.statements] } : null,
    runbook: f?.runbook ?? null,
  };
}

/** The period a baseline report covers, or the one of the same length just before. */
export function baselineOf(report: Report | null, from: number, to: number): Baseline {
  if (report) return { source: 'report', reportId: report.id, period: { ...report.period } };
  return {
    source: 'period',
    reportId: null,
    period: { from: isoSecond(from - (to - from)), to: isoSecond(from) },
  };
}

export async function buildReport(store: Store, options: BuildOptions): Promise<Report> {
  const { from, to } = options;
  const regressionPercent = options.regressionPercent ?? REGRESSION_PERCENT;
  const minCalls = options.minCalls ?? MIN_CALLS;
  const baseline = baselineOf(options.baseline, from, to);
  const baselineFrom = Date.parse(baseline.period.from);
  const only = options.target;

  // rollups are hourly: the hours that overlap the period, summed by the store
  const scope = only ? { target: only } : {};
  const summaries = new Map(
    (await store.rollupSummaries({ ...scope, from: hourOf(from), to })).map((r) => [r.target, r]),
  );
  // the baseline period's hours: its statements (when no report is the baseline) and slow-log classes
  const baselineTo = Date.parse(baseline.period.to);
  const previous = new Map(
    (await store.rollupSummaries({ ...scope, from: hourOf(baselineFrom), to: hourOf(baselineTo) })).map(
      (r) => [r.target, r],
    ),
  );
  const byId = new Map<string, TrackedFinding>();
  const since = Math.min(from, baselineFrom);
  for (const t of [
    ...(await store.findings({ since, limit: 100_000, ...(only ? { target: only } : {}) })),
    ...(await store.findings({ status: 'active', limit: 100_000, ...(only ? { target: only } : {}) })),
  ])
    byId.set(`${t.finding.id}@${t.firstSeen}`, t);
  const episodes = [...byId.values()];

  const names = new Set<string>();
  for (const r of summaries.values()) if (r.hours.length > 0) names.add(r.target);
  for (const t of episodes)
    if (t.firstSeen < to && (t.resolvedAt === null || t.resolvedAt >= from)) names.add(t.finding.target);
  if (only) for (const n of [...names]) if (n !== only) names.delete(n);

  const targets: TargetReport[] = [];
  for (const target of [...names].sort()) {
    const mine = episodes.filter((t) => t.finding.target === target);
    const openAtBaselineEnd = new Map<string, Severity>();
    if (!options.baseline) {
      for (const t of mine) {
        if (t.firstSeen < from && (t.resolvedAt === null || t.resolvedAt >= from)) {
          // the severity it had at the baseline's end
          const change = [...t.severityChanges].reverse().find((c) => c.at < from);
          openAtBaselineEnd.set(t.finding.id, change?.to ?? t.finding.severity);
        }
      }
    }
    const history = options.history.filter((r) => r.targets.some((x) => x.target === target));
    const findings = groupFindings(mine, {
      from,
      to,
      target,
      baseline: options.baseline,
      openAtBaselineEnd,
      history,
    });
    const own = summaries.get(target) ?? { target, hours: [], statements: [] };
    const baselineStatements = new Map<string, { calls: number; meanSeconds: number | null }>();
    if (options.baseline) {
      const t = options.baseline.targets.find((x) => x.target === target);
      for (const s of t?.statements.all ?? [])
        baselineStatements.set(s.queryId, { calls: s.calls, meanSeconds: s.meanSeconds });
    } else {
      for (const s of previous.get(target)?.statements ?? [])
        baselineStatements.set(s.queryId, {
          calls: s.calls,
          meanSeconds: s.calls > 0 ? s.totalSeconds / s.calls : null,
        });
    }
    const stmts = {
      ...statements(statementMap(own.statements), baselineStatements, regressionPercent, minCalls),
      slowLog: slowLog(own.hours, previous.get(target)?.hours ?? []),
    };
    const cap = capacity(own.hours, options.dataLimits?.[target] ?? null);
    const openAtEnd = mine.filter((t) => t.firstSeen < to && (t.resolvedAt === null || t.resolvedAt >= to));
    const settings = (await store.settingChanges({ target, since: from }))
      .filter((c) => c.at < to && c.previous !== null)
      .sort((a, b) => a.at - b.at || a.name.localeCompare(b.name))
      .map((c) => ({ at: isoSecond(c.at), name: c.name, previous: c.previous, value: c.value }));
    const versions = (await store.serverVersions(target)).sort((a, b) => a.firstSeen - b.firstSeen);
    const changes: Changes = {
      settings,
      serverVersions: versions
        .filter((v, i) => i > 0 && v.firstSeen >= from && v.firstSeen < to)
        .map((v) => ({ at: isoSecond(v.firstSeen), version: v.version })),
      restarts: restarts(own.hours, from, to),
    };
    const { status, reason } = verdict(findings, stmts, cap);
    targets.push({
      target,
      status,
      reason,
      findings,
      capacity: cap,
      statements: stmts,
      maintenance: maintenance(openAtEnd),
      changes,
      audit: auditPosture(own.hours, openAtEnd),
    });
  }

  const worst = targets.reduce<TargetReport | null>(
    (w, t) => (w === null || VERDICT_ORDER.indexOf(t.status) > VERDICT_ORDER.indexOf(w.status) ? t : w),
    null,
  );
  const total = (pick: (t: TargetReport) => number) => targets.reduce((sum, t) => sum + pick(t), 0);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    id: options.id,
    kind: options.kind,
    generatedAt: isoSecond(options.now),
    trigger: options.trigger ?? { schedule: null, scheduledFor: null, missed: false },
    period: { from: isoSecond(from), to: isoSecond(to) },
    baseline,
    fleet: {
      status: worst?.status ?? 'ok',
      reason: worst
        ? `${worst.target}: ${worst.reason}`
        : 'no target was sampled during the period (is the agent running with this store?)',
      targets: targets.length,
      findings: {
        new: total((t) => t.findings.new.length),
        persisting: total((t) => t.findings.persisting.length),
        resolved: total((t) => t.findings.resolved.length),
        regressed: total((t) => t.findings.regressed.length),
      },
      regressions: total((t) => t.statements.regressions.length),
      maintenance: total((t) => t.maintenance.length),
    },
    targets,
  };
}
