import type {
  AuditPosture,
  Capacity,
  Report,
  ReportFinding,
  SlowLogLine,
  StatementLine,
  TargetReport,
} from './model.js';

// Markdown: what a team lead reads in a mail, a wiki page or a terminal. The verdict first,
// then per target: findings, capacity, statements, maintenance due, changes, audit posture.

const VERDICT_MARK = { ok: 'OK', warning: 'WARNING', critical: 'CRITICAL' } as const;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

export function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

export function bytes(value: number | null): string {
  if (value === null) return 'n/a';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = Math.abs(value);
  let unit = 0;
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit += 1;
  }
  return `${value < 0 ? '-' : ''}${v.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function ms(seconds: number | null): string {
  if (seconds === null) return 'n/a';
  return seconds < 1 ? `${Number((seconds * 1000).toPrecision(3))} ms` : `${seconds} s`;
}

export function pct(ratio: number | null): string {
  return ratio === null ? 'n/a' : `${Number((ratio * 100).toFixed(2))}%`;
}

export function change(percent: number | null): string {
  if (percent === null) return 'new';
  return `${percent > 0 ? '+' : ''}${percent}%`;
}

/** days left; 'not growing' when the rate is known and not positive, 'rate n/a' without a rate (samples less than an hour apart) */
function days(value: number | null, rate: number | null): string {
  if (rate === null) return 'rate n/a';
  return value === null ? 'not growing' : `${value} days`;
}

/** Capacity rows beyond the connection and cache figures, as [label, value] (md and html both print them). */
export function capacityRows(c: Capacity): [string, string][] {
  const rows: [string, string][] = [];
  const what = c.dataSource === 'top-tables' ? 'data + indexes (top tables)' : 'data + indexes';
  const growth =
    c.dataGrowthBytes === null ? 'n/a' : `${c.dataGrowthBytes >= 0 ? '+' : ''}${bytes(c.dataGrowthBytes)}`;
  rows.push([what, `${bytes(c.dataBytes)} (${growth} over the period)`]);
  if (c.dataGrowthPerDayBytes !== null) rows.push(['growth per day', bytes(c.dataGrowthPerDayBytes)]);
  if (c.dataLimitBytes !== null)
    rows.push([
      `days until the limit of ${bytes(c.dataLimitBytes)}`,
      days(c.daysToDataLimit, c.dataGrowthPerDayBytes),
    ]);
  const x = c.transactionIds;
  if (x) {
    rows.push([
      `transaction-ID age (${x.database})`,
      `${x.age} of ${x.limit} (${x.usedPercent}%), ${x.perDay === null ? 'rate n/a' : `${x.perDay} per day`}`,
    ]);
    rows.push(['days to the wraparound stop at this rate', days(x.daysToLimit, x.perDay)]);
  }
  for (const k of c.counters)
    rows.push([
      `counter ${k.name}`,
      `${k.value} of ${k.max} (${k.usedPercent}%), ${k.perDay === null ? 'rate n/a' : `${k.perDay} per day, ${days(k.daysToMax, k.perDay)} left`}`,
    ]);
  return rows;
}

/** Slow-log class rows: [fingerprint, count, total, max, baseline count] */
export function slowLogRows(lines: readonly SlowLogLine[]): string[][] {
  return lines.map((l) => [
    l.fingerprint.slice(0, 120),
    String(l.count),
    `${l.totalSeconds} s`,
    ms(l.maxSeconds),
    l.baselineCount === null ? 'new' : String(l.baselineCount),
  ]);
}

export const SLOW_LOG_HEADER = ['slow-log class', 'count', 'total', 'max', 'baseline count'];

function findingLines(
  title: string,
  list: readonly ReportFinding[],
  what: (f: ReportFinding) => string,
): string[] {
  if (list.length === 0) return [];
  const out = [`#### ${title} (${list.length})`, ''];
  for (const f of list) {
    out.push(`- **${f.severity}** ${f.summary} — ${what(f)} ([runbook](${f.runbook}))`);
    if (f.fix) {
      out.push(`  - fix: ${f.fix.summary}`);
      for (const s of f.fix.statements) out.push(`    \`${s.replace(/`/g, "'")}\``);
    }
  }
  out.push('');
  return out;
}

const OPERATION_NAMES: Record<string, string> = {
  ddl: 'DDL',
  roles: 'role and privilege changes',
  writes: 'data changes',
  connections: 'logins',
};

/** Audit posture rows beyond the status, as [label, value] (md and html both print them). */
export function auditRows(a: AuditPosture): [string, string][] {
  const names = (ops: readonly string[]) =>
    ops.length === 0 ? 'none' : ops.map((o) => OPERATION_NAMES[o] ?? o).join(', ');
  const rows: [string, string][] = [
    ['logged', `${names(a.logged)}${a.sources.length > 0 ? ` (${a.sources.join('; ')})` : ''}`],
  ];
  if (a.notLogged.length > 0) rows.push(['not logged', names(a.notLogged)]);
  rows.push([
    'retention',
    `${a.retentionDays === null ? '' : `${a.retentionDays} days: `}${a.retention}${
      a.targetRetentionDays === null ? '' : ` (asked: ${a.targetRetentionDays} days)`
    }`,
  ]);
  return rows;
}

export const AUDIT_STATUS = { ok: 'OK', info: 'INFO', warning: 'WARNING' } as const;

function auditSection(a: AuditPosture | null): string[] {
  const out = ['### Audit posture', ''];
  if (a === null)
    return [...out, 'Not read during the period (the audit probe runs on the settings schedule).', ''];
  out.push(
    `${AUDIT_STATUS[a.status]}${a.at === null ? '' : ` (read ${a.at})`}`,
    '',
    ...auditRows(a).map(([label, value]) => `- ${label}: ${value}`),
  );
  if (a.fix) {
    out.push(`- fix: ${a.fix.summary}${a.runbook ? ` ([runbook](${a.runbook}))` : ''}`);
    for (const s of a.fix.statements) out.push(`  \`${s.replace(/`/g, "'")}\``);
  }
  return [...out, ''];
}

function statementTable(lines: readonly StatementLine[]): string[] {
  const out = [
    '| statement | calls | total | mean | baseline mean | change |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of lines) {
    out.push(
      `| ${cell((s.fingerprint ?? s.queryId).slice(0, 80))} | ${s.calls} | ${s.totalSeconds} s | ${ms(s.meanSeconds)} | ${ms(s.baselineMeanSeconds)} | ${change(s.meanChangePercent)} |`,
    );
  }
  return [...out, ''];
}

function target(t: TargetReport, report: Report): string[] {
  const out = [`## ${t.target}: ${VERDICT_MARK[t.status]}`, '', t.reason, ''];
  const g = t.findings;
  out.push(
    '### Findings',
    '',
    `${g.new.length} new, ${g.persisting.length} persisting, ${g.regressed.length} regressed, ${g.resolved.length} resolved`,
    '',
  );
  out.push(
    ...findingLines('New', g.new, (f) => `since ${f.firstSeen}`),
    ...findingLines('Regressed', g.regressed, (f) => `${f.previousSeverity} -> ${f.severity}`),
    ...findingLines(
      'Persisting',
      g.persisting,
      (f) =>
        `seen in ${f.seenIn.reports} of the last ${f.seenIn.of} ${report.kind} reports, for ${duration(f.durationSeconds)}`,
    ),
    ...findingLines(
      'Resolved',
      g.resolved,
      (f) => `lasted ${duration(f.durationSeconds)}, resolved ${f.resolvedAt}`,
    ),
  );
  const c = t.capacity;
  out.push(
    '### Capacity',
    '',
    `| | period (${c.hours} h of rollups) |`,
    '| --- | ---: |',
    `| connections peak / max | ${c.connectionsPeak ?? 'n/a'} / ${c.maxConnections ?? 'n/a'} (headroom ${c.headroom ?? 'n/a'}) |`,
    `| saturation max | ${pct(c.saturationMax)} |`,
    `| minutes at the saturation warning | ${c.minutesAtSaturationWarning} |`,
    `| cache hit ratio (interval) | ${pct(c.cacheHitRatio)} |`,
    ...capacityRows(c).map(([label, value]) => `| ${cell(label)} | ${cell(value)} |`),
    '',
  );
  out.push('### Statements', '', `From the ${c.hours} hourly rollup(s) overlapping the period.`, '');
  if (t.statements.regressions.length > 0) {
    out.push(
      `#### Regressions (mean time up ≥ 25% with enough calls)`,
      '',
      ...statementTable(t.statements.regressions),
    );
  }
  if (t.statements.new.length > 0)
    out.push('#### New heavy statements', '', ...statementTable(t.statements.new));
  if (t.statements.top.length > 0)
    out.push('#### Top by total time', '', ...statementTable(t.statements.top));
  else out.push('No statement statistics for the period.', '');
  if (t.statements.slowLog.length > 0)
    out.push(
      '#### Slow-log classes',
      '',
      `| ${SLOW_LOG_HEADER.join(' | ')} |`,
      '| --- | ---: | ---: | ---: | ---: |',
      ...slowLogRows(t.statements.slowLog).map((r) => `| ${r.map(cell).join(' | ')} |`),
      '',
    );
  out.push('### Maintenance due', '');
  if (t.maintenance.length === 0) out.push('Nothing due.', '');
  for (const m of t.maintenance) {
    out.push(
      `- ${m.object} (${m.kind}${m.sizeBytes !== null ? `, ${bytes(m.sizeBytes)}` : ''}): ${m.effect}`,
    );
    for (const s of m.statements) out.push(`  \`${s.replace(/`/g, "'")}\``);
  }
  if (t.maintenance.length > 0) out.push('');
  out.push('### Changes', '');
  const changeCount = t.changes.settings.length + t.changes.serverVersions.length + t.changes.restarts.length;
  if (changeCount === 0) out.push('No setting or version changes, no restart.', '');
  for (const r of t.changes.restarts) out.push(`- ${r.at} server restarted`);
  for (const s of t.changes.settings)
    out.push(`- ${s.at} ${s.name}: ${s.previous} -> ${s.value ?? '(removed)'}`);
  for (const v of t.changes.serverVersions) out.push(`- ${v.at} server version ${v.version}`);
  if (changeCount > 0) out.push('');
  out.push(...auditSection(t.audit));
  return out;
}

export function renderMarkdown(report: Report): string {
  const f = report.fleet;
  const b = report.baseline;
  const out = [
    `# dbdiag ${report.kind} report: ${VERDICT_MARK[f.status]}`,
    '',
    `Period ${report.period.from} – ${report.period.to}; compared with ${
      b.source === 'report' ? `report ${b.reportId}` : 'the previous period'
    } (${b.period.from} – ${b.period.to}). Report ${report.id}, generated ${report.generatedAt}.`,
    '',
    ...(report.trigger.missed
      ? [
          `_The ${report.trigger.schedule} run of ${report.trigger.scheduledFor} was missed while the agent was down: made at its next start._`,
          '',
        ]
      : []),
    `**${f.reason}**`,
    '',
    `Fleet: ${f.targets} target(s); findings ${f.findings.new} new, ${f.findings.persisting} persisting, ${f.findings.regressed} regressed, ${f.findings.resolved} resolved; ${f.regressions} statement regression(s); ${f.maintenance} maintenance item(s).`,
    '',
  ];
  for (const t of report.targets) out.push(...target(t, report));
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/** JSON as published: the document as built, 2-space indented, keys in their built order */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
