import { tableMaintenanceAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import type { TableStat } from '../snapshot/signals.js';
import { type AdvisorInput, formatBytes, latest, makeFinding, renderActions, round } from './context.js';

// Space a table holds but no longer uses, by what the engine's tables probe measures: dead rows
// vacuum has not reclaimed (engines that count them: PostgreSQL), or reclaimable free space
// inside the table's storage after deletes (engines that report it: MySQL DATA_FREE). Scans
// read it anyway. A table is judged on dead rows first, then on free space.

export function tableBloat(input: AdvisorInput): Finding[] {
  const out: Finding[] = [];
  for (const table of latest(input)?.signals.tables?.tables ?? []) {
    const finding = deadRowsFinding(input, table) ?? freeSpaceFinding(input, table);
    if (finding) out.push(finding);
  }
  return out;
}

/** what vacuum and a rebuild read: the table and its indexes; null when the engine does not say */
function tableBytes(table: TableStat): number | null {
  return table.dataBytes === null ? null : table.dataBytes + (table.indexBytes ?? 0);
}

function deadRowsFinding(input: AdvisorInput, table: TableStat): Finding | null {
  const t = input.thresholds;
  if (table.deadRows === null) return null;
  const dead = table.deadRows;
  const live = table.liveRows ?? 0;
  const ratio = dead / Math.max(1, dead + live);
  if (dead < t.bloatMinDeadRows || ratio < t.bloatDeadRatio) return null;
  const vacuum = tableMaintenanceAction(
    'vacuum',
    table.table,
    'none',
    'adds I/O while it runs',
    tableBytes(table),
  );
  const rendered = renderActions(input, [vacuum]);
  return makeFinding(input, 'table-bloat', {
    severity: ratio >= 0.8 ? 'warning' : 'info',
    object: table.table,
    summary: `${table.table}: ${Math.round(dead)} dead rows (${Math.round(ratio * 100)}% of the table) not yet vacuumed`,
    evidence: {
      deadRows: dead,
      liveRows: live,
      deadRatio: round(ratio, 3),
      dataBytes: table.dataBytes,
      lastVacuumAt: table.lastVacuumAt === null ? null : new Date(table.lastVacuumAt).toISOString(),
      threshold: t.bloatDeadRatio,
    },
    fix: {
      summary: `VACUUM (ANALYZE) ${table.table}; if it keeps coming back, check long transactions and autovacuum settings`,
      actions: [vacuum],
      statements: rendered.statements,
      risk: rendered.risk,
      rollback: 'None needed.',
    },
  });
}

function freeSpaceFinding(input: AdvisorInput, table: TableStat): Finding | null {
  const t = input.thresholds;
  if (table.freeBytes === null) return null;
  const free = table.freeBytes;
  const data = (table.dataBytes ?? 0) + (table.indexBytes ?? 0);
  const ratio = free / Math.max(1, free + data);
  if (free < t.bloatMinFreeBytes || ratio < t.bloatFreeRatio) return null;
  const optimize = tableMaintenanceAction(
    'optimize',
    table.table,
    'brief',
    'rebuilds the whole table: I/O and free disk of its size',
    tableBytes(table),
  );
  const rendered = renderActions(input, [optimize]);
  return makeFinding(input, 'table-bloat', {
    severity: ratio >= 0.6 ? 'warning' : 'info',
    object: table.table,
    summary: `${table.table}: ${formatBytes(free)} free inside the table (${Math.round(ratio * 100)}% of its space)`,
    evidence: {
      freeBytes: free,
      dataBytes: table.dataBytes,
      indexBytes: table.indexBytes,
      freeRatio: round(ratio, 3),
      threshold: t.bloatFreeRatio,
    },
    fix: {
      summary: `Rebuild ${table.table} online to return the space`,
      actions: [optimize],
      statements: rendered.statements,
      risk: rendered.risk,
      rollback: 'None needed: the rebuilt table has the same rows.',
    },
  });
}
