import { dropIndexAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import {
  type AdvisorInput,
  formatBytes,
  latest,
  makeFinding,
  renderActions,
  rollbackText,
} from './context.js';
import { enforcesConstraint, isLeadingPrefix } from './index-hygiene.js';

// An index whose key columns are a leading prefix of another index on the same table (same
// predicate) is redundant: the longer one serves every lookup it serves. Unique and primary
// indexes enforce a constraint and are never the one to drop.

export function duplicateIndex(input: AdvisorInput): Finding[] {
  const indexes = latest(input)?.signals.tables?.indexes ?? [];
  const bytesOf = new Map((latest(input)?.signals.tables?.tables ?? []).map((t) => [t.table, t.dataBytes]));
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
    const drop = dropIndexAction({
      table: index.table,
      name: index.index,
      columns: index.columns,
      unique: index.unique,
      where: index.where,
      definition: index.definition,
      tableBytes: bytesOf.get(index.table) ?? null,
      risk: 'Queries planned on the narrower index move to the wider one (slightly larger reads). A brief lock while dropping.',
    });
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
