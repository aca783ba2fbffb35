import type { Finding } from '../findings/finding.js';
import type { AppWindow } from '../sandbox/app-load.js';
import { HISTORY_TABLE } from '../sandbox/plant.js';
import { costReduction, type ErrorTexts, formatErrors, formatMs, proofLabel } from './narration.js';

// The end of the demo, readable in ten seconds: what broke, what dbdiag said and why, what to
// do now and what fixes it, and (with --fix) what the fix did.

export interface ServerView {
  used: number;
  max: number;
  active: number;
  idle: number;
}

export interface PhaseView {
  app: AppWindow;
  server: ServerView | null;
}

export interface FixOutcome {
  statement: string;
  buildSeconds: number;
  attempts: number;
  /** plan cost of the read path after the index exists, from EXPLAIN on the sandbox */
  costAfter: number | null;
  costBefore: number | null;
  /** seconds from the build's end until each finding resolved */
  resolved: Record<string, number>;
}

export interface DemoSummary {
  /** seconds from the start of the load until the full diagnosis (null: not reached) */
  diagnosedAfterSeconds: number | null;
  incident: PhaseView | null;
  recovery: PhaseView | null;
  fix: FixOutcome | null;
  /** the findings as they stood at the diagnosis (or at the end, without one) */
  findings: Finding[];
  metricsUrl: string;
  fixRequested: boolean;
  /** the engine's own words for the application's errors (MariaDB: "Too many connections") */
  errorTexts?: ErrorTexts;
}

/** The three findings the demo is about, when the agent raised them. */
export interface Diagnosis {
  saturation: Finding | null;
  index: Finding | null;
  /** the saturation finding names the index finding as what explains it */
  linked: boolean;
  complete: boolean;
}

export function diagnosisOf(findings: readonly Finding[]): Diagnosis {
  const saturation = findings.find((f) => f.kind === 'pool-saturation' && f.severity === 'critical') ?? null;
  const index =
    findings.find(
      (f) => f.kind === 'missing-index' && (f.fix?.index?.table ?? '').split('.').at(-1) === HISTORY_TABLE,
    ) ?? null;
  const linked = saturation !== null && index !== null && saturation.related.includes(index.id);
  return { saturation, index, linked, complete: linked };
}

function rate(count: number, seconds: number): string {
  const r = count / Math.max(1e-9, seconds);
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}/s`;
}

function serverText(s: ServerView | null): string {
  return s === null ? '?' : `${s.used}/${s.max} (${s.active} active, ${s.idle} idle)`;
}

function runbookPath(url: string): string {
  const i = url.indexOf('/runbooks/');
  return i >= 0 ? url.slice(i + 1) : url;
}

export function formatSummary(s: DemoSummary): string {
  const rule = '─'.repeat(78);
  const out = [rule, 'dbdiag demo — summary', ''];
  const inc = s.incident;
  if (inc) {
    const a = inc.app;
    const failed = a.submitFailed;
    out.push(
      `  Incident    ${failed} of ${a.submitted + failed} new work orders FAILED in ${Math.round(a.seconds)} s; ` +
        `read p95 ${formatMs(a.readP95Ms)}; server connections ${serverText(inc.server)}`,
      `              errors of all requests: ${formatErrors(a.errors, s.errorTexts)}`,
    );
  }
  const d = diagnosisOf(s.findings);
  out.push(
    s.diagnosedAfterSeconds === null
      ? `  Diagnosis   INCOMPLETE: ${[
          d.saturation ? null : 'no critical pool-saturation',
          d.index ? null : `no missing-index on ${HISTORY_TABLE}`,
          d.saturation && d.index && !d.linked ? 'the two are not linked' : null,
        ]
          .filter((x) => x !== null)
          .join('; ')}`
      : `  Diagnosis   by dbdiag alone, ${Math.round(s.diagnosedAfterSeconds)} s after the load started:`,
  );
  if (d.saturation) {
    const e = d.saturation.evidence;
    out.push(
      `    1. pool-saturation  CRITICAL  ${e.used}/${e.max} connections, ${e.active} active / ${e.idle} idle   ${runbookPath(d.saturation.runbook)}`,
    );
  }
  if (d.index) {
    const cols = d.index.fix?.index?.columns.join(', ') ?? '?';
    const cost = costReduction(d.index);
    out.push(
      `    2. missing-index    ${d.index.severity.toUpperCase().padEnd(8)}  ${HISTORY_TABLE} (${cols})${d.linked ? '  <- root cause of 1' : ''}   ${runbookPath(d.index.runbook)}`,
      `       ${d.index.fix?.statements.at(-1) ?? ''}`,
      cost
        ? `       proof: plan cost ${Math.round(cost.before)} -> ${cost.after.toFixed(1)} (-${(cost.reduction * 100).toFixed(1)}%)${
            proofLabel(d.index) ? `, ${proofLabel(d.index)}` : ''
          }`
        : `       proof: ${String(d.index.evidence.proof ?? 'n/a')}`,
    );
  }
  const others = s.findings.filter((f) => f !== d.saturation && f !== d.index);
  if (others.length > 0) {
    out.push(`    also: ${others.map((f) => `${f.kind} (${f.severity})`).join(', ')}`);
  }
  const details = d.saturation?.fix?.details;
  if (details) {
    out.push(
      `  Stop-gap    max_connections ${details.currentMaxConnections} -> ${details.proposedMaxConnections}; ` +
        `application pools at most ${details.proposedAppPoolTotal} in total — then fix the root cause`,
    );
  }
  if (s.fix && s.recovery && inc) {
    const f = s.fix;
    const before = inc.app;
    const after = s.recovery.app;
    const cost =
      f.costBefore !== null && f.costAfter !== null && f.costBefore > 0
        ? `; read path plan cost ${Math.round(f.costBefore)} -> ${f.costAfter.toFixed(1)} (-${((1 - f.costAfter / f.costBefore) * 100).toFixed(1)}%, EXPLAIN after the build)`
        : '';
    out.push(
      `  Fix         index built online in ${f.buildSeconds.toFixed(1)} s${f.attempts > 1 ? ` (${f.attempts} attempts)` : ''}${cost}`,
      `  Recovery    read p95 ${formatMs(before.readP95Ms)} -> ${formatMs(after.readP95Ms)}; ` +
        `failed work orders ${rate(before.submitFailed, before.seconds)} -> ${rate(after.submitFailed, after.seconds)}; ` +
        `connections ${serverText(inc.server)} -> ${serverText(s.recovery.server)}`,
      `              resolved: ${
        Object.keys(f.resolved).length > 0
          ? Object.entries(f.resolved)
              .map(([id, sec]) => `${id.split(':')[0]} after ${Math.round(sec)} s`)
              .join(', ')
          : 'not yet (the findings resolve once the condition stays clear)'
      }`,
    );
  } else if (!s.fixRequested) {
    out.push('  Next        npm run demo -- --fix   applies the index online and shows the recovery');
  }
  out.push(
    `  Agent       ${s.metricsUrl}/metrics and ${s.metricsUrl}/api/findings (served while the demo ran)`,
    rule,
  );
  return out.join('\n');
}
