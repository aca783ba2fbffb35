import { tableMaintenanceAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import { type AdvisorInput, latest, makeFinding, renderActions, round } from './context.js';

// The planner's row estimates come from the last ANALYZE. When a large share of a table
// changed since, estimates are wrong and plans go bad (a nested loop over "10 rows" that are
// a million). Engines that do not count modifications since analyze are not judged.

export function staleStatistics(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const tables = latest(input)?.signals.tables?.tables ?? [];
  const out: Finding[] = [];
  for (const table of tables) {
    const modified = table.rowsModifiedSinceAnalyze;
    const live = table.liveRows ?? 0;
    if (modified === null) continue;
    const base = Math.max(live, 1);
    const neverAnalyzed = table.lastAnalyzeAt === null;
    if (Math.max(live, modified) < t.staleStatsMinRows) continue;
    const ratio = modified / base;
    if (ratio < t.staleStatsModifiedRatio && !(neverAnalyzed && modified >= t.staleStatsMinRows)) continue;
    const analyze = tableMaintenanceAction(
      'analyze',
      table.table,
      'none',
      'Reads a sample of the table (a few seconds on large tables); takes no lock that blocks reads or writes. Plans may change afterwards (that is the point).',
      table.dataBytes,
    );
    out.push(
      makeFinding(input, 'stale-statistics', {
        severity: ratio >= 1 ? 'warning' : 'info',
        object: table.table,
        summary: `${table.table}: ${Math.round(modified)} rows changed since the last ANALYZE (${Math.round(ratio * 100)}% of ${Math.round(live)})${neverAnalyzed ? ', never analyzed' : ''}`,
        evidence: {
          rowsModifiedSinceAnalyze: modified,
          liveRows: live,
          modifiedRatio: round(ratio, 3),
          lastAnalyzeAt: table.lastAnalyzeAt === null ? null : new Date(table.lastAnalyzeAt).toISOString(),
          threshold: t.staleStatsModifiedRatio,
        },
        fix: {
          summary: `ANALYZE ${table.table}`,
          actions: [analyze],
          statements: renderActions(input, [analyze]).statements,
          risk: analyze.risk,
          rollback: 'None needed: statistics are refreshed again by the next (auto)analyze.',
        },
      }),
    );
  }
  return out;
}
