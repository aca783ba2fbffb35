import type { Finding } from '../findings/finding.js';
import { type AdvisorInput, latest, makeFinding } from './context.js';

// A privilege (or the dbdiag helper) the monitoring role lacks, as the privileges probe found
// it without trying and failing: one finding per gap, with the exact GRANT (or the
// `dbdiag grants` pipeline) to run. What the agent still sees without it, it still reports.

export function missingPrivilege(input: AdvisorInput): Finding[] {
  const snapshot = latest(input);
  const privileges = snapshot?.signals.privileges;
  if (!snapshot?.up || !privileges) return [];
  return privileges.missing.map((gap) =>
    makeFinding(input, 'missing-privilege', {
      severity: 'warning',
      object: gap.missing,
      summary: `role ${privileges.role} lacks ${gap.missing}: ${gap.impact}`,
      evidence: { role: privileges.role, missing: gap.missing, impact: gap.impact, checkedAt: privileges.at },
      fix: {
        summary: `Grant ${gap.missing} to ${privileges.role} (as an administrator)`,
        // an administrator's step, not something the agent (or a remediation) runs itself
        actions: [],
        statements: gap.grant,
        risk: 'Read-only monitoring privileges: nothing is locked, the server keeps running. The dbdiag helper plans statements, it never runs them.',
        rollback: gap.revoke.join('\n'),
      },
    }),
  );
}
