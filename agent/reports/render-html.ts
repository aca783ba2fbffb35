import type {
  AuditPosture,
  Report,
  ReportFinding,
  StatementLine,
  TargetReport,
  TrendPoint,
} from './model.js';
import {
  AUDIT_STATUS,
  auditRows,
  bytes,
  capacityRows,
  change,
  duration,
  ms,
  pct,
  SLOW_LOG_HEADER,
  slowLogRows,
} from './render-md.js';

// One self-contained HTML file: inline CSS and inline SVG charts, no script, nothing loaded
// from outside the file (links such as runbook URLs are fine). Readable on a phone (fluid
// layout, tables scroll) and printed (no backgrounds needed, sections kept together).

export function esc(text: string | number | null): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** only http(s) and relative links become hrefs */
export function safeHref(url: string): string {
  return /^(https?:\/\/|\/|\.\.?\/)/i.test(url) ? esc(url) : '#';
}

export const CSS = `
:root{--ok:#1a7f37;--warning:#9a6700;--critical:#cf222e;--muted:#57606a;--line:#d0d7de}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:16px;color:#1f2328}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;border-bottom:1px solid var(--line);padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.05em;margin:1.2em 0 .4em}
.badge{display:inline-block;padding:.1em .55em;border-radius:1em;color:#fff;font-weight:600;font-size:.85em;vertical-align:middle}
.ok{background:var(--ok)}.warning{background:var(--warning)}.critical{background:var(--critical)}.info{background:var(--muted)}
.meta{color:var(--muted);font-size:.9em}
.reason{font-size:1.1em;font-weight:600;margin:.6em 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.4em 0}
th,td{border-bottom:1px solid var(--line);padding:.3em .5em;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}
code{font:.85em ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:.1em .3em;border-radius:4px;word-break:break-all}
ul{padding-left:1.2em}li{margin:.35em 0}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;flex:1 1 300px;min-width:0}figcaption{font-size:.85em;color:var(--muted)}
svg{width:100%;height:auto;display:block}
@media print{body{max-width:none;font-size:11pt}section{break-inside:avoid}a{color:inherit}}
`;

function badge(status: string): string {
  return `<span class="badge ${esc(status)}">${esc(status.toUpperCase())}</span>`;
}

/** A line chart of one series over the period's hours, as inline SVG. */
export function lineChart(
  title: string,
  points: readonly TrendPoint[],
  value: (p: TrendPoint) => number | null,
  format: (v: number) => string,
): string {
  const width = 320;
  const height = 120;
  const pad = { left: 44, right: 8, top: 10, bottom: 20 };
  const values = points.map(value);
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0)
    return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}: no data"><text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="12" fill="#57606a">no data for the period</text></svg></figure>`;
  const min = Math.min(...known, 0);
  const max = Math.max(...known);
  const span = max - min || 1;
  const x = (i: number) =>
    pad.left +
    (points.length <= 1
      ? (width - pad.left - pad.right) / 2
      : (i / (points.length - 1)) * (width - pad.left - pad.right));
  const y = (v: number) => pad.top + (1 - (v - min) / span) * (height - pad.top - pad.bottom);
  const coords = values
    .map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
    .filter((c): c is string => c !== null);
  const dots =
    known.length <= 48
      ? values
          .map((v, i) =>
            v === null
              ? ''
              : `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.2" fill="#0969da"/>`,
          )
          .join('')
      : '';
  const first = points[0]?.at.slice(5, 16).replace('T', ' ') ?? '';
  const last = points.at(-1)?.at.slice(5, 16).replace('T', ' ') ?? '';
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">
<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#d0d7de"/>
<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#d0d7de"/>
<text x="${pad.left - 4}" y="${pad.top + 4}" text-anchor="end" font-size="10" fill="#57606a">${esc(format(max))}</text>
<text x="${pad.left - 4}" y="${height - pad.bottom}" text-anchor="end" font-size="10" fill="#57606a">${esc(format(min))}</text>
<text x="${pad.left}" y="${height - 5}" font-size="10" fill="#57606a">${esc(first)}</text>
<text x="${width - pad.right}" y="${height - 5}" text-anchor="end" font-size="10" fill="#57606a">${esc(last)}</text>
<polyline fill="none" stroke="#0969da" stroke-width="1.8" points="${coords.join(' ')}"/>${dots}
</svg></figure>`;
}

function findingList(
  title: string,
  cls: string,
  list: readonly ReportFinding[],
  what: (f: ReportFinding) => string,
): string {
  if (list.length === 0) return '';
  const items = list
    .map((f) => {
      const fix = f.fix
        ? `<br>fix: ${esc(f.fix.summary)}${f.fix.statements.map((s) => `<br><code>${esc(s)}</code>`).join('')}`
        : '';
      return `<li>${badge(f.severity)} ${esc(f.summary)} — ${esc(what(f))} (<a href="${safeHref(f.runbook)}">runbook</a>)${fix}</li>`;
    })
    .join('\n');
  return `<h4 class="${cls}-list">${esc(title)} (${list.length})</h4><ul>${items}</ul>`;
}

function statementTable(lines: readonly StatementLine[]): string {
  const rows = lines
    .map(
      (s) =>
        `<tr><td><code>${esc((s.fingerprint ?? s.queryId).slice(0, 160))}</code></td><td class="n">${esc(s.calls)}</td><td class="n">${esc(s.totalSeconds)} s</td><td class="n">${esc(ms(s.meanSeconds))}</td><td class="n">${esc(ms(s.baselineMeanSeconds))}</td><td class="n">${esc(change(s.meanChangePercent))}</td></tr>`,
    )
    .join('\n');
  return `<div class="scroll"><table><thead><tr><th>statement</th><th class="n">calls</th><th class="n">total</th><th class="n">mean</th><th class="n">baseline mean</th><th class="n">change</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function auditSection(a: AuditPosture | null): string {
  if (a === null) return '<p>Not read during the period (the audit probe runs on the settings schedule).</p>';
  const fix = a.fix
    ? `<p>fix: ${esc(a.fix.summary)}${a.runbook ? ` (<a href="${safeHref(a.runbook)}">runbook</a>)` : ''}${a.fix.statements
        .map((x) => `<br><code>${esc(x)}</code>`)
        .join('')}</p>`
    : '';
  return `<p><span class="badge ${esc(a.status)}">${esc(AUDIT_STATUS[a.status])}</span>${
    a.at === null ? '' : ` <span class="meta">read ${esc(a.at)}</span>`
  }</p>
<div class="scroll"><table><tbody>
${auditRows(a)
  .map(([label, value]) => `<tr><th>${esc(label)}</th><td>${esc(value)}</td></tr>`)
  .join('\n')}
</tbody></table></div>${fix}`;
}

function target(t: TargetReport, report: Report): string {
  const g = t.findings;
  const c = t.capacity;
  const findings = [
    findingList('New', 'new', g.new, (f) => `since ${f.firstSeen}`),
    findingList('Regressed', 'regressed', g.regressed, (f) => `${f.previousSeverity} → ${f.severity}`),
    findingList(
      'Persisting',
      'persisting',
      g.persisting,
      (f) =>
        `seen in ${f.seenIn.reports} of the last ${f.seenIn.of} ${report.kind} reports, for ${duration(f.durationSeconds)}`,
    ),
    findingList(
      'Resolved',
      'resolved',
      g.resolved,
      (f) => `lasted ${duration(f.durationSeconds)}, resolved ${f.resolvedAt}`,
    ),
  ].join('\n');
  const s = t.statements;
  const maintenance =
    t.maintenance.length === 0
      ? '<p>Nothing due.</p>'
      : `<ul>${t.maintenance
          .map(
            (m) =>
              `<li>${esc(m.object)} (${esc(m.kind)}${m.sizeBytes !== null ? `, ${esc(bytes(m.sizeBytes))}` : ''}): ${esc(m.effect)}${m.statements.map((x) => `<br><code>${esc(x)}</code>`).join('')}</li>`,
          )
          .join('\n')}</ul>`;
  const changes =
    t.changes.settings.length + t.changes.serverVersions.length + t.changes.restarts.length === 0
      ? '<p>No setting or version changes, no restart.</p>'
      : `<ul>${[
          ...t.changes.restarts.map((r) => `<li>${esc(r.at)} server restarted</li>`),
          ...t.changes.settings.map(
            (x) =>
              `<li>${esc(x.at)} <code>${esc(x.name)}</code>: ${esc(x.previous)} → ${esc(x.value ?? '(removed)')}</li>`,
          ),
          ...t.changes.serverVersions.map((v) => `<li>${esc(v.at)} server version ${esc(v.version)}</li>`),
        ].join('\n')}</ul>`;
  return `<section class="target" id="target-${esc(t.target)}">
<h2>${esc(t.target)} ${badge(t.status)}</h2>
<p class="reason">${esc(t.reason)}</p>
<section class="findings"><h3>Findings</h3>
<p>${g.new.length} new, ${g.persisting.length} persisting, ${g.regressed.length} regressed, ${g.resolved.length} resolved</p>
${findings}</section>
<section class="capacity"><h3>Capacity</h3>
<div class="scroll"><table><tbody>
<tr><th>connections peak / max</th><td class="n">${esc(c.connectionsPeak ?? 'n/a')} / ${esc(c.maxConnections ?? 'n/a')} (headroom ${esc(c.headroom ?? 'n/a')})</td></tr>
<tr><th>saturation max</th><td class="n">${esc(pct(c.saturationMax))}</td></tr>
<tr><th>minutes at the saturation warning</th><td class="n">${esc(c.minutesAtSaturationWarning)}</td></tr>
<tr><th>cache hit ratio (interval)</th><td class="n">${esc(pct(c.cacheHitRatio))}</td></tr>
${capacityRows(c)
  .map(([label, value]) => `<tr><th>${esc(label)}</th><td class="n">${esc(value)}</td></tr>`)
  .join('\n')}
</tbody></table></div>
<div class="charts">
${lineChart(
  'connections peak per hour',
  c.trend,
  (p) => p.connectionsPeak,
  (v) => String(Math.round(v)),
)}
${lineChart(
  'cache hit ratio per hour',
  c.trend,
  (p) => p.cacheHitRatio,
  (v) => pct(v),
)}
${lineChart(
  'statement time per hour (s)',
  c.trend,
  (p) => p.statementSeconds,
  (v) => String(Number(v.toPrecision(3))),
)}
</div></section>
<section class="statements"><h3>Statements</h3>
<p class="meta">From the ${c.hours} hourly rollup(s) overlapping the period.</p>
${s.regressions.length > 0 ? `<h4>Regressions (mean time up ≥ 25% with enough calls)</h4>${statementTable(s.regressions)}` : '<p>No regressions.</p>'}
${s.new.length > 0 ? `<h4>New heavy statements</h4>${statementTable(s.new)}` : ''}
${s.top.length > 0 ? `<h4>Top by total time</h4>${statementTable(s.top)}` : '<p>No statement statistics for the period.</p>'}
${
  s.slowLog.length > 0
    ? `<h4>Slow-log classes</h4><div class="scroll"><table><thead><tr>${SLOW_LOG_HEADER.map((h, i) => `<th${i > 0 ? ' class="n"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${slowLogRows(
        s.slowLog,
      )
        .map(
          (r) =>
            `<tr>${r.map((v, i) => (i === 0 ? `<td><code>${esc(v)}</code></td>` : `<td class="n">${esc(v)}</td>`)).join('')}</tr>`,
        )
        .join('\n')}</tbody></table></div>`
    : ''
}
</section>
<section class="maintenance"><h3>Maintenance due</h3>${maintenance}</section>
<section class="changes"><h3>Changes</h3>${changes}</section>
<section class="audit"><h3>Audit posture</h3>${auditSection(t.audit)}</section>
</section>`;
}

export function renderHtml(report: Report): string {
  const f = report.fleet;
  const b = report.baseline;
  const title = `dbdiag ${report.kind} report ${report.period.to.slice(0, 10)}: ${f.status}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style></head>
<body>
<header class="fleet"><h1>dbdiag ${esc(report.kind)} report ${badge(f.status)}</h1>
<p class="meta">Period ${esc(report.period.from)} – ${esc(report.period.to)}; compared with ${
    b.source === 'report' ? `report ${esc(b.reportId)}` : 'the previous period'
  } (${esc(b.period.from)} – ${esc(b.period.to)}). Report ${esc(report.id)}, generated ${esc(report.generatedAt)}.</p>
${report.trigger.missed ? `<p class="meta">The ${esc(report.trigger.schedule)} run of ${esc(report.trigger.scheduledFor)} was missed while the agent was down: made at its next start.</p>` : ''}
<p class="reason">${esc(f.reason)}</p>
<p>Fleet: ${f.targets} target(s); findings ${f.findings.new} new, ${f.findings.persisting} persisting, ${f.findings.regressed} regressed, ${f.findings.resolved} resolved; ${f.regressions} statement regression(s); ${f.maintenance} maintenance item(s).</p>
</header>
<main>
${report.targets.map((t) => target(t, report)).join('\n')}
</main>
</body></html>
`;
}

/** /reports/: the stored reports, newest first, each in its three formats. */
export function reportIndexHtml(reports: readonly Report[]): string {
  const rows = reports
    .map(
      (r) =>
        `<tr><td><a href="${esc(r.id)}.html">${esc(r.id)}</a></td><td>${esc(r.kind)}</td><td>${esc(r.period.from)} – ${esc(r.period.to)}</td><td>${badge(r.fleet.status)} ${esc(r.fleet.reason)}</td><td><a href="${esc(r.id)}.md">md</a> <a href="${esc(r.id)}.json">json</a></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>dbdiag reports</title><style>${CSS}</style></head><body>
<h1>dbdiag reports</h1>
${reports.length === 0 ? '<p>No report stored yet: the agent makes them on schedule, <code>dbdiag report</code> on demand.</p>' : `<div class="scroll"><table><thead><tr><th>report</th><th>kind</th><th>period</th><th>verdict</th><th>formats</th></tr></thead><tbody>${rows}</tbody></table></div>`}
</body></html>
`;
}
