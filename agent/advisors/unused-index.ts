import type { Finding } from '../findings/finding.js';
import {
  type AdvisorInput,
  formatBytes,
  formatDuration,
  latest,
  makeFinding,
  quoteQualified,
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
  const out: Finding[] = [];
  for (const index of indexes) {
    if (index.scans !== 0 || enforcesConstraint(index)) continue;
    if ((index.sizeBytes ?? 0) < t.unusedIndexMinBytes) continue;
    const schema = index.table.includes('.') ? `${index.table.split('.')[0]}.` : '';
    const qualified = quoteQualified(input.engine, `${schema}${index.index}`);
    const table = quoteQualified(input.engine, index.table);
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
          statements:
            input.engine === 'postgres'
              ? [`DROP INDEX CONCURRENTLY ${qualified};`]
              : [
                  `ALTER TABLE ${table} DROP INDEX ${quoteQualified(input.engine, index.index)}, ALGORITHM=INPLACE, LOCK=NONE;`,
                ],
          risk: 'Statistics are per server: a replica may use the index. A rare job (month end) may need it. Dropping takes a brief lock.',
          rollback: index.definition
            ? `${index.definition.replace(/^CREATE (UNIQUE )?INDEX/, 'CREATE $1INDEX CONCURRENTLY')};`
            : `Re-create it: ALTER TABLE ${table} ADD INDEX ${index.index} (${index.columns.join(', ')}), ALGORITHM=INPLACE, LOCK=NONE;`,
        },
      }),
    );
  }
  return out;
}
