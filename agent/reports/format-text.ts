import type { Finding } from '../findings/finding.js';
import { complete, type Measurements, type StatementLine, type TableScanLine } from './measurements.js';

// Plain-text rendering for a terminal: what was measured, then the findings.

function pct(ratio: number | null): string {
  return ratio === null ? 'n/a' : `${(ratio * 100).toFixed(2)}%`;
}

function seconds(value: number | null): string {
  if (value === null) return 'n/a';
  if (value < 1) return `${(value * 1000).toFixed(1)} ms`;
  if (value < 120) return `${value.toFixed(2)} s`;
  if (value < 7200) return `${(value / 60).toFixed(1)} min`;
  if (value < 172800) return `${(value / 3600).toFixed(1)} h`;
  return `${(value / 86400).toFixed(1)} days`;
}

function resetAge(ageSeconds: number | null): string {
  return ageSeconds === null ? 'the server does not say when' : `${seconds(ageSeconds)} ago`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function statementTable(lines: StatementLine[]): string {
  return table(
    ['calls', 'total', 'mean', 'rows examined', 'statement'],
    lines.map((s) => [
      String(s.calls),
      seconds(s.totalSeconds),
      seconds(s.meanSeconds),
      s.rowsExamined === null ? '' : String(s.rowsExamined),
      oneLine(s.fingerprint, 70),
    ]),
  );
}

function scanTable(lines: TableScanLine[]): string {
  return table(
    ['table', 'seq scans', 'rows read by seq scans', 'index scans'],
    lines.map((t) => [t.table, String(t.seqScans), String(t.seqRowsRead), String(t.indexScans)]),
  );
}

export function formatFinding(f: Finding): string {
  const lines = [`[${f.severity.toUpperCase()}] ${f.kind} ${f.object}: ${f.summary}`];
  const evidence = Object.entries(f.evidence)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  if (evidence) lines.push(`  evidence: ${oneLine(evidence, 300)}`);
  if (f.fix) {
    lines.push(`  fix: ${f.fix.summary}`);
    for (const statement of f.fix.statements) lines.push(`    ${statement}`);
    lines.push(`  risk: ${f.fix.risk}`);
    lines.push(`  rollback: ${f.fix.rollback}`);
  }
  if (f.related.length > 0) lines.push(`  related: ${f.related.join(', ')}`);
  lines.push(`  runbook: ${f.runbook}`);
  return lines.join('\n');
}

export function formatCheck(m: Measurements, findings: readonly Finding[]): string {
  const out: string[] = [];
  out.push(
    `dbdiag check: ${m.target} (${m.engine} ${m.serverVersion ?? '?'}), window ${seconds(m.windowSeconds)}`,
  );
  out.push('');
  if (m.connections) {
    const c = m.connections;
    out.push(
      `Connections: ${c.used}/${c.max} (${c.reserved} reserved), saturation ${pct(c.saturationRatio)}; ` +
        `active ${c.active}, idle ${c.idle}, idle in transaction ${c.idleInTransaction}, waiting on a lock ${c.waitingLock}; ` +
        `oldest transaction ${c.oldestTransactionSeconds === null ? 'none' : seconds(c.oldestTransactionSeconds)}`,
    );
  }
  if (m.cache) {
    out.push(
      `Cache hit ratio: ${pct(m.cache.intervalHitRatio)} over the window, ${pct(m.cache.sinceResetHitRatio)} since reset`,
    );
  }
  if (m.statements) {
    out.push('');
    out.push('Top statements in the window:');
    out.push(m.statements.window.length > 0 ? statementTable(m.statements.window) : '  (none ran)');
    out.push('');
    out.push(`Top statements since statistics reset (${resetAge(m.statements.resetAgeSeconds)}):`);
    out.push(
      m.statements.sinceReset.length > 0 ? statementTable(m.statements.sinceReset) : '  (none recorded)',
    );
  }
  if (m.tables) {
    out.push('');
    out.push('Tables read by sequential scans in the window:');
    out.push(m.tables.window.length > 0 ? scanTable(m.tables.window) : '  (none)');
    out.push('');
    out.push(
      `Tables read by sequential scans since statistics reset (${seconds(m.tables.resetAgeSeconds)} ago):`,
    );
    out.push(m.tables.sinceReset.length > 0 ? scanTable(m.tables.sinceReset) : '  (none)');
  }
  for (const u of m.unsupported) out.push(`Note: ${u.probe}: ${u.reason}`);
  // What could not be looked at comes before the findings, so "none" is never read alone.
  if (m.errors.length > 0) {
    out.push('');
    out.push(`Could not look: ${m.errors.length} of ${m.probeCount} probes failed:`);
    for (const e of m.errors)
      out.push(`  ${e.probe}: ${e.code ? `[${e.code}] ` : ''}${e.message ?? 'failed'}`);
  }
  if (m.partial.length > 0) {
    out.push('');
    out.push(`Partial data: ${m.partial.length} probe(s) could read only part of what they read:`);
    for (const p of m.partial) out.push(`  ${p.probe}: ${p.message}`);
  }
  out.push('');
  if (findings.length > 0) out.push(`Findings (${findings.length}):`);
  else if (complete(m)) out.push('Findings: none');
  else out.push('Findings: none in what could be read — the check is INCOMPLETE (see above)');
  for (const f of findings) out.push(formatFinding(f), '');
  return `${out.join('\n')}\n`;
}
