import { dropIndexAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import {
  type AdvisorInput,
  formatBytes,
  formatDuration,
  latest,
  makeFinding,
  renderActions,
  rollbackText,
} from './context.js';
import { enforcesConstraint } from './index-hygiene.js';

// Never scanned since the statistics began: costs every write and cache space, helps no read.
// Only judged on enough history (statistics reset or server start long enough ago), and
// never for primary-key or unique indexes (they enforce a constraint).

export function statisticsAgeSeconds(input: AdvisorInput): number | null {
  const snapshot = latest(input);
  if (!snapshot) return null;
  const since = snapshot.signals.tables?.resetAt ?? snapshot.signals.settings?.serverStartedAt ?? null;
  return since === null ? null : (snapshot.at - since) / 1000;
}

export function unusedIndex(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const age = statisticsAgeSeconds(input);
  if (age === null || age < t.unusedIndexMinStatsAgeSeconds) return [];
  const indexes = latest(input)?.signals.tables?.indexes ?? [];
  const bytesOf = new Map((latest(input)?.signals.tables?.tables ?? []).map((t) => [t.table, t.dataBytes]));
  const out: Finding[] = [];
  for (const index of indexes) {
    if (index.scans !== 0 || enforcesConstraint(index)) continue;
    if ((index.sizeBytes ?? 0) < t.unusedIndexMinBytes) continue;
    const drop = dropIndexAction({
      table: index.table,
      name: index.index,
      columns: index.columns,
      unique: index.unique,
      where: index.where,
      definition: index.definition,
      tableBytes: bytesOf.get(index.table) ?? null,
      risk: 'Statistics are per server: a replica may use the index. A rare job (month end) may need it. Dropping takes a brief lock.',
    });
    out.push(
      makeFinding(input, 'unused-index', {
        severity: 'info',
        object: `${index.table}.${index.index}`,
        summary: `${index.index} on ${index.table} (${formatBytes(index.sizeBytes ?? 0)}) has not been scanned in ${formatDuration(age)} of statistics`,
        evidence: {
          index: index.index,
          table: index.table,
          scans: 0,
          sizeBytes: index.sizeBytes,
          statisticsAgeSeconds: Math.round(age),
          columns: index.columns,
        },
        fix: {
          summary: `Drop ${index.index} after checking replicas and monthly jobs`,
          actions: [drop],
          statements: renderActions(input, [drop]).statements,
          risk: drop.risk,
          rollback: rollbackText(input, [drop], 'None needed.'),
        },
      }),
    );
  }
  return out;
}
