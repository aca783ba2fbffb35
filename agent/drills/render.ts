import { type DrillTimes, type Scorecard, TIME_NAMES } from './scorecard.js';

// The scorecard for people: Markdown (a ticket, a wiki page) and one line per run for history.

const TIME_LABELS: Record<keyof DrillTimes, string> = {
  detectSeconds: 'detect',
  alertSeconds: 'alert',
  mitigateSeconds: 'mitigate',
  recoverSeconds: 'recover',
};

function secs(value: number | null, note = 'not measured'): string {
  return value === null ? note : `${value.toFixed(1)} s`;
}

function change(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  if (value === 0) return 'same';
  return value < 0 ? `${(-value).toFixed(1)} s faster` : `${value.toFixed(1)} s slower`;
}

export function scorecardMarkdown(card: Scorecard): string {
  const out = [
    `# Drill ${card.scenario} on ${card.engine} (${card.mode}): ${card.result.toUpperCase()}`,
    '',
    `${card.startedAt} → ${card.finishedAt}, ${card.sandbox.kind === 'started' ? 'sandbox started by the drill' : 'configured sandbox target'}: ${card.sandbox.server}`,
    '',
  ];
  if (card.failures.length > 0) out.push('Failures:', ...card.failures.map((f) => `- ${f}`), '');
  out.push('| time since the fault (t0) | this run | previous run | change |', '| --- | --- | --- | --- |');
  for (const name of TIME_NAMES) {
    const note = name === 'alertSeconds' ? (card.alertNote ?? 'not measured') : 'not reached';
    const before = card.previous?.times[name];
    out.push(
      `| ${TIME_LABELS[name]} | ${secs(card.times[name], note)} | ${card.previous === null ? '-' : secs(before ?? null)} | ${change(card.previous?.change[name])} |`,
    );
  }
  out.push(
    '',
    `Detect limit: ${card.expected.detectLimitSeconds} s.`,
    `Expected findings: ${card.expected.findingKinds.join(', ')}; raised: ${[...new Set(card.findings.map((f) => `${f.kind} (${f.severity})`))].join(', ') || 'none'}`,
    `Alert rules it should fire: ${card.expected.alertRules.join(', ')}`,
    `Mitigation: ${card.mitigation.applied ? card.mitigation.actions.map((a) => `\`${a.statement}\` (${a.seconds} s, ${a.attempts} attempt${a.attempts === 1 ? '' : 's'})`).join('; ') : 'not applied'}`,
    `Symptom: p95 healthy ${ms(card.symptom.baselineP95Ms)}, incident ${ms(card.symptom.incidentP95Ms)} with ${card.symptom.incidentErrors} failed requests, after the fix ${ms(card.symptom.recoveryP95Ms)} with ${card.symptom.recoveryErrors ?? '?'} failed — ${card.symptom.recovered ? 'recovered' : 'NOT recovered'}`,
    `Runbook: ${card.runbook.url ?? '(none)'} ${card.runbook.resolved ? 'resolves' : 'does NOT resolve'}; Diagnosis ${card.runbook.statements - card.runbook.failed.length}/${card.runbook.statements} statements ran`,
    `Cleanup: ${card.cleanup.ok ? 'nothing left (checked: directory, server process)' : `LEFT: ${card.cleanup.leftovers.join(', ')}`}` +
      (card.cleanup.removedBefore.length > 0
        ? `; removed first: ${card.cleanup.removedBefore.join(', ')}`
        : ''),
  );
  if (card.previous !== null)
    out.push(`Previous run: ${card.previous.id} (${card.previous.finishedAt}, ${card.previous.result})`);
  return `${out.join('\n')}\n`;
}

function ms(value: number | null): string {
  return value === null ? '?' : `${Math.round(value)} ms`;
}

/** One line per run, for `dbdiag drill history`. */
export function historyLine(card: Scorecard): string {
  const t = card.times;
  return [
    card.finishedAt,
    card.scenario,
    card.engine,
    card.mode,
    card.result.toUpperCase(),
    `detect ${secs(t.detectSeconds, '-')}`,
    `alert ${secs(t.alertSeconds, '-')}`,
    `mitigate ${secs(t.mitigateSeconds, '-')}`,
    `recover ${secs(t.recoverSeconds, '-')}`,
  ].join('  ');
}
