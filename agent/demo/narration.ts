import type { EvidenceValue, Finding } from '../findings/finding.js';
import { APP_ERROR_TEXT, type AppErrorKind, type AppWindow } from '../sandbox/app-load.js';

// What the demo prints while it runs: the application's own view every couple of seconds and
// the agent's findings as they arrive. Pure formatting; the caller decides where it goes.

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '-';
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return `${ms >= 10 ? Math.round(ms) : ms.toFixed(1)} ms`;
}

function perSecond(count: number, seconds: number): string {
  const rate = count / seconds;
  return rate >= 10 ? rate.toFixed(0) : rate.toFixed(1);
}

/** What the application's errors say, where the engine's own words differ from APP_ERROR_TEXT's. */
export type ErrorTexts = Partial<Record<AppErrorKind, string>>;

/** The errors of a window, most frequent first: `12 "sorry, too many clients already"`. */
export function formatErrors(errors: Partial<Record<AppErrorKind, number>>, texts: ErrorTexts = {}): string {
  const entries = Object.entries(errors) as [AppErrorKind, number][];
  if (entries.length === 0) return 'no errors';
  return entries
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${n} "${texts[kind] ?? APP_ERROR_TEXT[kind]}"`)
    .join(', ');
}

/**
 * One line of the application's view:
 * `app 0:24  work orders 9.5/s ok, 3.0/s FAILED | reads 28/s | p95 1.8 s | 98 conns | 12 "sorry, too many clients already"`
 */
export function formatAppWindow(w: AppWindow, note = '', texts: ErrorTexts = {}): string {
  const failed = w.submitFailed + w.readFailed;
  const parts = [
    `app ${clock(w.at)}`,
    `new work orders ${perSecond(w.submitted, w.seconds)}/s ok${w.submitFailed > 0 ? `, ${perSecond(w.submitFailed, w.seconds)}/s FAILED` : ''}`,
    `reads ${perSecond(w.reads, w.seconds)}/s`,
    `p95 ${formatMs(w.p95Ms)}`,
    `pools ${w.connections}/${w.poolCapacity} (${w.idleConnections} idle${w.waiting > 0 ? `, ${w.waiting} queued` : ''})`,
    failed > 0 ? `errors: ${formatErrors(w.errors, texts)}` : 'no errors',
  ];
  return `${parts.join(' | ')}${note ? `  ${note}` : ''}`;
}

function num(value: EvidenceValue | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: EvidenceValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

export function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function group(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** The proven cost reduction of a missing-index finding, when it has both costs. */
/** How a cost-after was obtained ("sandbox build, rolled back", "HypoPG ..."), as the finding says. */
export function proofLabel(f: Finding): string | null {
  const details = f.fix?.details;
  return (details && str(details.proof)) ?? str(f.evidence.proof);
}

export function costReduction(f: Finding): { before: number; after: number; reduction: number } | null {
  const before = num(f.evidence.costBefore);
  const after = num(f.evidence.costAfter);
  if (before === null || after === null || before <= 0) return null;
  return { before, after, reduction: 1 - after / before };
}

function firstStatement(
  f: Finding,
): { text: string; calls: number | null; meanSeconds: number | null } | null {
  const list = f.evidence.statements;
  const first = Array.isArray(list) ? list[0] : undefined;
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    return {
      text: str(first.text) ?? '',
      calls: num(first.calls),
      meanSeconds: num(first.meanSeconds),
    };
  }
  const fingerprint = str(f.evidence.fingerprint);
  if (fingerprint === null) return null;
  return { text: fingerprint, calls: num(f.evidence.calls), meanSeconds: num(f.evidence.meanSeconds) };
}

/** "at or above 100% in 9 of 10 samples over 10 s" (a flickering incident), or "... for 10 s" when every sample was. */
function saturationSpan(e: Finding['evidence']): string {
  const level = num(e.levelRatio);
  const at = num(e.samplesAtLevel);
  const samples = num(e.samples);
  const seconds = num(e.windowSeconds) ?? '?';
  if (level === null || at === null || samples === null || at === 0 || at >= samples)
    return `at or above ${Math.round(((at ?? 0) > 0 ? (level ?? 0) : (num(e.minRatioInWindow) ?? 0)) * 100)}% for ${seconds} s`;
  return `at or above ${Math.round(level * 100)}% in ${at} of ${samples} samples over ${seconds} s`;
}

function poolLines(f: Finding): string[] {
  const e = f.evidence;
  const lines = [
    `  connections: ${num(e.used) ?? '?'}/${num(e.max) ?? '?'} in use — ${num(e.active) ?? '?'} active, ${num(e.idle) ?? '?'} idle, ` +
      `${num(e.idleInTransaction) ?? '?'} idle in transaction, ${num(e.waitingLock) ?? '?'} waiting on a lock ` +
      `(${saturationSpan(e)})`,
  ];
  const slow = Array.isArray(e.slowStatements) ? e.slowStatements[0] : undefined;
  if (slow && typeof slow === 'object' && !Array.isArray(slow)) {
    const mean = num(slow.meanSeconds);
    lines.push(
      `  holding them: ${oneLine(str(slow.fingerprint) ?? '', 110)}  (${mean === null ? '?' : formatMs(mean * 1000)} per call)`,
    );
  }
  if (f.fix) {
    lines.push(`  stop-gap: ${f.fix.summary.replace(/^stop-gap:\s*/i, '')}`);
    for (const s of f.fix.statements) lines.push(`    ${s}`);
  }
  return lines;
}

function indexLines(f: Finding): string[] {
  const lines: string[] = [];
  const statement = firstStatement(f);
  if (statement) {
    lines.push(
      `  statement: ${oneLine(statement.text, 150)}` +
        (statement.calls === null
          ? ''
          : `  (${group(statement.calls)} calls, ${formatMs((statement.meanSeconds ?? 0) * 1000)} each)`),
    );
  }
  const proof = str(f.evidence.proof);
  const cost = costReduction(f);
  if (cost) {
    const how = proofLabel(f);
    lines.push(
      `  proof: plan cost ${group(cost.before)} -> ${group(cost.after)} (-${(cost.reduction * 100).toFixed(1)}%)${how ? ` — ${how}` : ''}`,
    );
  } else if (proof) {
    lines.push(
      `  proof: ${proof}${num(f.evidence.costBefore) === null ? '' : `, plan cost ${group(num(f.evidence.costBefore) ?? 0)}`}`,
    );
  }
  if (f.fix) {
    lines.push(`  fix: ${f.fix.summary}`);
    for (const s of f.fix.statements) lines.push(`    ${s}`);
    lines.push(`  rollback: ${f.fix.rollback}`);
  }
  return lines;
}

function slowQueryLines(f: Finding): string[] {
  const statement = firstStatement(f);
  return statement ? [`  statement: ${oneLine(statement.text, 150)}`] : [];
}

/** A finding as the demo narrates it: headline, the numbers that matter for its kind, links. */
export function formatFindingForDemo(f: Finding, findings: readonly Finding[]): string {
  const lines = [`[${f.severity.toUpperCase()}] ${f.kind} — ${oneLine(f.summary, 220)}`];
  if (f.kind === 'pool-saturation') lines.push(...poolLines(f));
  else if (f.kind === 'missing-index') lines.push(...indexLines(f));
  else if (f.kind === 'slow-query') lines.push(...slowQueryLines(f));
  else if (f.fix) lines.push(`  fix: ${f.fix.summary}`);
  for (const id of f.related) {
    const other = findings.find((x) => x.id === id);
    const why =
      f.kind === 'pool-saturation' && other?.kind === 'missing-index'
        ? 'root cause (slow JOIN -> connections held longer -> saturation)'
        : 'explained by';
    lines.push(`  ${why}: ${id}`);
  }
  lines.push(`  runbook: ${f.runbook}`);
  return lines.join('\n');
}
