import type { Finding } from '../findings/finding.js';
import {
  type AdvisorInput,
  latest,
  makeFinding,
  remedies,
  renderActions,
  rollbackText,
  setSetting,
} from './context.js';

// Without pg_stat_statements (PostgreSQL) or performance_schema digests (MySQL) the agent
// cannot see statements: no slow-query or missing-index advice. The statements probe says
// why it is unsupported; this turns that into a finding with the change to make.

export function extensionMissing(input: AdvisorInput): Finding[] {
  const snapshot = latest(input);
  const report = snapshot?.probes.statements;
  if (!snapshot?.up || report?.status !== 'unsupported') return [];
  const reason = report.message ?? 'statement statistics are not available';
  const engine = remedies(input);
  const enable = setSetting(
    input,
    'statement-statistics',
    'on',
    null,
    'a few percent of CPU and some memory',
  );
  const rendered = renderActions(input, [enable]);
  return [
    makeFinding(input, 'extension-missing', {
      severity: 'warning',
      object: engine.statementStatistics.object,
      summary: `statement statistics unavailable: ${reason}`,
      evidence: { probe: 'statements', reason },
      fix: {
        summary: engine.statementStatistics.enableSummary,
        actions: [enable],
        statements: rendered.statements,
        risk: rendered.risk,
        rollback: rollbackText(input, [enable], 'None needed.'),
      },
    }),
  ];
}
