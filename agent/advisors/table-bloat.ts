import { tableMaintenanceAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import { type AdvisorInput, formatBytes, latest, makeFinding, renderActions, round } from './context.js';

// Space a table holds but no longer uses: dead rows vacuum has not reclaimed (PostgreSQL), or
// free space inside the tablespace after deletes (MySQL DATA_FREE). Scans read it anyway.

export function tableBloat(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const tables = latest(input)?.signals.tables?.tables ?? [];
  const out: Finding[] = [];
  const pg = input.engine === 'postgres';
  for (const table of tables) {
    if (pg) {
      const dead = table.deadRows ?? 0;
      const live = table.liveRows ?? 0;
      const ratio = dead / Math.max(1, dead + live);
      if (dead < t.bloatMinDeadRows || ratio < t.bloatDeadRatio) continue;
      const vacuum = tableMaintenanceAction('vacuum', table.table, 'none', 'adds I/O while it runs');
      const rendered = renderActions(input, [vacuum]);
      out.push(
        makeFinding(input, 'table-bloat', {
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
        }),
      );
    } else {
      const free = table.freeBytes ?? 0;
      const data = (table.dataBytes ?? 0) + (table.indexBytes ?? 0);
      const ratio = free / Math.max(1, free + data);
      if (free < t.bloatMinFreeBytes || ratio < t.bloatFreeRatio) continue;
      const optimize = tableMaintenanceAction(
        'optimize',
        table.table,
        'brief',
        'rebuilds the whole table: I/O and free disk of its size',
      );
      const rendered = renderActions(input, [optimize]);
      out.push(
        makeFinding(input, 'table-bloat', {
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
        }),
      );
    }
  }
  return out;
}
