import type { AuditGap } from '../engines/engine.js';
import type { Finding } from '../findings/finding.js';
import type { AuditedOperations } from '../snapshot/signals.js';
import { type AdvisorInput, latest, makeFinding, remedies } from './context.js';

// The audit posture (the plant's preventive plan: "key operations audited, logs kept 180
// days"). Warning when the server does not log a key operation — schema changes (DDL), role and
// privilege changes, logins; info when everything is logged but the server's own settings do
// not show the trail kept thresholds.auditRetentionDays (a log kept outside the server, or
// rotated by size, cannot be shown from SQL: the finding says so). Data changes are reported,
// not required. The fix is settings to copy (no neutral action sets them), from the engine.

/** The operations an audit must find in the log, in the order they are named. */
export const KEY_OPERATIONS = [
  'ddl',
  'roles',
  'connections',
] as const satisfies readonly (keyof AuditedOperations)[];

const NAMES: Record<keyof AuditedOperations, string> = {
  ddl: 'schema changes (DDL)',
  roles: 'role and privilege changes (GRANT, REVOKE, CREATE/ALTER ROLE)',
  writes: 'data changes',
  connections: 'logins',
};

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

export function auditPosture(input: AdvisorInput): Finding[] {
  const audit = latest(input)?.signals.audit;
  if (!audit) return [];
  const targetDays = input.thresholds.auditRetentionDays;
  const missing = KEY_OPERATIONS.filter((op) => !audit.logs[op]);
  const retentionShort = audit.retentionDays === null || audit.retentionDays < targetDays;
  if (missing.length === 0 && !retentionShort) return [];
  const gap: AuditGap = { missing, retentionShort, targetDays };
  const r = remedies(input);
  const fix = r.audit.fix(audit, gap);
  const kept =
    audit.retentionDays === null
      ? `log retention ${audit.retention}`
      : `logs kept ${audit.retentionDays} days (${audit.retention})`;
  const summary =
    missing.length > 0
      ? `${list(missing.map((op) => NAMES[op]))} ${missing.length === 1 ? 'is' : 'are'} not logged${
          audit.sources.length === 0
            ? ' (nothing audits this server)'
            : ` (logged by ${audit.sources.join(', ')})`
        }; ${kept}`
      : `${audit.retentionDays === null ? 'the audit trail cannot be shown kept' : `the audit trail is kept ${audit.retentionDays} days, under`} ${targetDays} days: ${kept}`;
  return [
    makeFinding(input, 'audit-posture', {
      severity: missing.length > 0 ? 'warning' : 'info',
      object: 'audit-log',
      summary,
      evidence: {
        logged: (Object.keys(NAMES) as (keyof AuditedOperations)[]).filter((op) => audit.logs[op]),
        notLogged: missing,
        sources: audit.sources,
        retentionDays: audit.retentionDays,
        retention: audit.retention,
        targetRetentionDays: targetDays,
        settings: audit.settings,
      },
      fix: {
        summary: fix.summary,
        actions: [],
        statements: [r.audit.diagnosis, ...fix.statements],
        risk: fix.risk,
        rollback: fix.rollback,
      },
    }),
  ];
}
