import { CSS, esc, safeHref } from '../reports/render-html.js';
import { type DrillTimes, type Scorecard, TIME_NAMES } from './scorecard.js';

// The scorecard for people: Markdown (a ticket, a wiki page), one self-contained HTML page
// (inline CSS, no script, nothing loaded from elsewhere — like the reports' HTML) and one line
// per run for history.

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
    `Alerts: ${card.alertNote ?? 'not measured'}`,
    ...(card.alerts?.measured
      ? [...card.alerts.rules, ...card.alerts.others].map(
          (r) =>
            `- ${r.name}${card.alerts?.rules.includes(r) ? '' : ' (not expected)'} (for: ${r.for ?? '-'}): pending ${seconds(r.pendingSeconds)}, firing ${seconds(r.firingSeconds)}`,
        )
      : []),
    `Mitigation: ${card.mitigation.applied ? card.mitigation.actions.map((a) => `\`${a.statement}\` (${a.seconds} s, ${a.attempts} attempt${a.attempts === 1 ? '' : 's'})`).join('; ') : 'not applied'}`,
    ...(card.team === undefined
      ? []
      : [
          `Team: runbook ${card.team.runbook ?? '(none)'} shown; symptom cleared ${seconds(card.team.symptomClearedSeconds)} after t0${card.team.gaveUp ? '; the team gave up' : ''}`,
          ...card.team.done.map(
            (d) => `- ${seconds(d.atSeconds)}: ${d.step === null ? '' : `${d.step}. `}${d.text}`,
          ),
        ]),
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

function seconds(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : `${value.toFixed(1)} s`;
}

/** The scorecard as one self-contained HTML page. */
export function scorecardHtml(card: Scorecard): string {
  const title = `Drill ${card.scenario} on ${card.engine} (${card.mode})`;
  const pass = card.result === 'pass';
  const out: string[] = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${esc(`${title}: ${card.result.toUpperCase()}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    `<h1>${esc(title)} <span class="badge ${pass ? 'ok' : 'critical'}">${pass ? 'PASS' : 'FAIL'}</span></h1>`,
    `<p class="meta">${esc(card.startedAt)} → ${esc(card.finishedAt)} · ${esc(card.sandbox.kind === 'started' ? 'sandbox started by the drill' : 'configured sandbox target')}: ${esc(card.sandbox.server)} · scorecard ${esc(card.id)}</p>`,
  ];
  if (card.failures.length > 0)
    out.push(
      '<section><h2>Failures</h2><ul>',
      ...card.failures.map((f) => `<li>${esc(f)}</li>`),
      '</ul></section>',
    );
  out.push(
    '<section><h2>Times since the fault (t0)</h2><div class="scroll"><table>',
    '<tr><th>step</th><th class="n">this run</th><th class="n">previous run</th><th class="n">change</th></tr>',
  );
  for (const name of TIME_NAMES) {
    const note = name === 'alertSeconds' ? 'not measured' : 'not reached';
    out.push(
      `<tr><td>${esc(TIME_LABELS[name])}</td><td class="n">${esc(secs(card.times[name], note))}</td>` +
        `<td class="n">${esc(card.previous === null ? '-' : secs(card.previous.times[name] ?? null))}</td>` +
        `<td class="n">${esc(change(card.previous?.change[name]))}</td></tr>`,
    );
  }
  out.push(
    '</table></div>',
    `<p>Detect limit: ${card.expected.detectLimitSeconds} s.${card.previous === null ? ' No previous run of this scenario on this engine to compare with.' : ` Previous run: ${esc(card.previous.id)} (${esc(card.previous.finishedAt)}, ${esc(card.previous.result)}).`}</p>`,
    '</section>',
    '<section><h2>Alerts</h2>',
    `<p>${esc(card.alertNote ?? 'not measured')}</p>`,
  );
  if (card.alerts?.measured) {
    out.push(
      '<div class="scroll"><table><tr><th>rule</th><th>for:</th><th class="n">pending</th><th class="n">firing</th></tr>',
      ...[...card.alerts.rules, ...card.alerts.others].map(
        (r) =>
          `<tr><td>${esc(r.name)}${card.alerts?.rules.includes(r) ? '' : ' <span class="meta">(not expected)</span>'}</td><td>${esc(r.for ?? '-')}</td><td class="n">${esc(seconds(r.pendingSeconds))}</td><td class="n">${esc(seconds(r.firingSeconds))}</td></tr>`,
      ),
      '</table></div>',
    );
  } else {
    out.push(`<p>Rules it should fire: ${esc(card.expected.alertRules.join(', '))}</p>`);
  }
  out.push(
    '</section>',
    '<section><h2>Findings</h2>',
    `<p>Expected: ${esc(card.expected.findingKinds.join(', '))}</p><ul>`,
    ...card.findings.map(
      (f) =>
        `<li><span class="badge ${esc(f.severity)}">${esc(f.severity)}</span> <code>${esc(f.kind)}</code> ${esc(f.object)}</li>`,
    ),
    card.findings.length === 0 ? '<li>none raised</li>' : '',
    '</ul></section>',
    '<section><h2>Mitigation</h2>',
  );
  if (card.mitigation.applied)
    out.push(
      '<ul>',
      ...card.mitigation.actions.map(
        (a) =>
          `<li><code>${esc(a.type)}</code>: <code>${esc(a.statement)}</code> — ${a.seconds} s, ${a.attempts} attempt${a.attempts === 1 ? '' : 's'}</li>`,
      ),
      '</ul>',
    );
  else out.push('<p>Not applied by dbdiag.</p>');
  if (card.team !== undefined) {
    const team = card.team;
    out.push(
      `<h3>Team</h3><p>Runbook shown: ${esc(team.runbook ?? '(none)')}; symptom cleared ${esc(seconds(team.symptomClearedSeconds))} after t0${team.gaveUp ? '; the team gave up' : ''} (waited up to ${team.limitSeconds} s).</p>`,
      '<div class="scroll"><table><tr><th class="n">at</th><th>step done</th></tr>',
      ...team.done.map(
        (d) =>
          `<tr><td class="n">${esc(seconds(d.atSeconds))}</td><td>${d.step === null ? '' : `${d.step}. `}${esc(d.text)}</td></tr>`,
      ),
      team.done.length === 0 ? '<tr><td></td><td>none marked</td></tr>' : '',
      '</table></div>',
    );
  }
  const s = card.symptom;
  out.push(
    '</section>',
    '<section><h2>Symptom</h2><div class="scroll"><table>',
    '<tr><th>phase</th><th class="n">p95</th><th class="n">failed requests</th></tr>',
    `<tr><td>healthy</td><td class="n">${esc(ms(s.baselineP95Ms))}</td><td class="n">-</td></tr>`,
    `<tr><td>incident</td><td class="n">${esc(ms(s.incidentP95Ms))}</td><td class="n">${s.incidentErrors}</td></tr>`,
    `<tr><td>after the fix</td><td class="n">${esc(ms(s.recoveryP95Ms))}</td><td class="n">${esc(s.recoveryErrors ?? '?')}</td></tr>`,
    '</table></div>',
    `<p>${s.recovered ? 'Recovered.' : '<strong>NOT recovered.</strong>'}</p></section>`,
    '<section><h2>Runbook</h2>',
    `<p>${card.runbook.url === null ? '(none)' : `<a href="${safeHref(card.runbook.url)}">${esc(card.runbook.url)}</a>`} ${card.runbook.resolved ? 'resolves' : '<strong>does NOT resolve</strong>'}; Diagnosis ${card.runbook.statements - card.runbook.failed.length}/${card.runbook.statements} statements ran on the faulty server.</p>`,
  );
  if (card.runbook.failed.length > 0)
    out.push('<ul>', ...card.runbook.failed.map((f) => `<li><code>${esc(f)}</code></li>`), '</ul>');
  out.push(
    '</section>',
    '<section><h2>Cleanup</h2>',
    `<p>${card.cleanup.ok ? 'Nothing left (checked: directory, server process).' : `<strong>Left behind:</strong> ${esc(card.cleanup.leftovers.join(', '))}`}</p>`,
  );
  if (card.cleanup.removedBefore.length > 0)
    out.push(
      '<p>Removed first (left by an interrupted run):</p><ul>',
      ...card.cleanup.removedBefore.map((r) => `<li><code>${esc(r)}</code></li>`),
      '</ul>',
    );
  out.push('</section>', '</body></html>', '');
  return out.join('\n');
}
