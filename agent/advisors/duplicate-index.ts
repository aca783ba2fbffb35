import type { Finding } from '../findings/finding.js';
import { type AdvisorInput, formatBytes, latest, makeFinding, quoteQualified } from './context.js';
import { enforcesConstraint, isLeadingPrefix } from './index-hygiene.js';

// An index whose key columns are a leading prefix of another index on the same table (same
// predicate) is redundant: the longer one serves every lookup it serves. Unique and primary
// indexes enforce a constraint and are never the one to drop.

export function duplicateIndex(input: AdvisorInput): Finding[] {
  const indexes = latest(input)?.signals.tables?.indexes ?? [];
  const out: Finding[] = [];
  const reported = new Set<string>();
  for (const index of indexes) {
    if (enforcesConstraint(index)) continue;
    const covering = indexes.find(
      (other) =>
        isLeadingPrefix(index, other) &&
        // exact twins: keep the one that enforces something, or the first by name
        (other.columns.length > index.columns.length ||
          enforcesConstraint(other) ||
          other.index < index.index),
    );
    if (!covering || reported.has(index.index)) continue;
    reported.add(index.index);
    const schema = index.table.includes('.') ? `${index.table.split('.')[0]}.` : '';
    const table = quoteQualified(input.engine, index.table);
    out.push(
      makeFinding(input, 'duplicate-index', {
        severity: 'warning',
        object: `${index.table}.${index.index}`,
        summary: `${index.index} (${index.columns.join(', ')}) on ${index.table} is covered by ${covering.index} (${covering.columns.join(', ')})`,
        evidence: {
          index: index.index,
          columns: index.columns,
          coveredBy: covering.index,
          coveredByColumns: covering.columns,
          sizeBytes: index.sizeBytes,
          scans: index.scans,
        },
        fix: {
          summary: `Drop ${index.index}${index.sizeBytes ? ` (frees ${formatBytes(index.sizeBytes)})` : ''}: ${covering.index} serves the same lookups`,
          statements:
            input.engine === 'postgres'
              ? [`DROP INDEX CONCURRENTLY ${quoteQualified(input.engine, `${schema}${index.index}`)};`]
              : [
                  `ALTER TABLE ${table} DROP INDEX ${quoteQualified(input.engine, index.index)}, ALGORITHM=INPLACE, LOCK=NONE;`,
                ],
          risk: 'Queries planned on the narrower index move to the wider one (slightly larger reads). A brief lock while dropping.',
          rollback: index.definition
            ? `${index.definition.replace(/^CREATE (UNIQUE )?INDEX/, 'CREATE $1INDEX CONCURRENTLY')};`
            : `ALTER TABLE ${table} ADD INDEX ${index.index} (${index.columns.join(', ')}), ALGORITHM=INPLACE, LOCK=NONE;`,
        },
      }),
    );
  }
  return out;
}
