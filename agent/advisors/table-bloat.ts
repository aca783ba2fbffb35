import type { Finding } from '../findings/finding.js';
import { type AdvisorInput, formatBytes, latest, makeFinding, quoteQualified, round } from './context.js';

// Space a table holds but no longer uses: dead rows vacuum has not reclaimed (PostgreSQL), or
// free space inside the tablespace after deletes (MySQL DATA_FREE). Scans read it anyway.

export function tableBloat(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const tables = latest(input)?.signals.tables?.tables ?? [];
  const out: Finding[] = [];
  const pg = input.engine === 'postgres';
  for (const table of tables) {
    const name = quoteQualified(input.engine, table.table);
    if (pg) {
      const dead = table.deadRows ?? 0;
      const live = table.liveRows ?? 0;
      const ratio = dead / Math.max(1, dead + live);
      if (dead < t.bloatMinDeadRows || ratio < t.bloatDeadRatio) continue;
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
            statements: [`VACUUM (ANALYZE, VERBOSE) ${name};`],
            risk: 'Plain VACUUM takes no lock that blocks reads or writes; it adds I/O. (VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock: do not use it online; use pg_repack.)',
            rollback: 'None needed.',
          },
        }),
      );
    } else {
      const free = table.freeBytes ?? 0;
      const data = (table.dataBytes ?? 0) + (table.indexBytes ?? 0);
      const ratio = free / Math.max(1, free + data);
      if (free < t.bloatMinFreeBytes || ratio < t.bloatFreeRatio) continue;
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
            statements: [
              `ALTER TABLE ${name} ENGINE=InnoDB, ALGORITHM=INPLACE, LOCK=NONE;  -- what OPTIMIZE TABLE does for InnoDB`,
            ],
            risk: 'Rebuilds the whole table (I/O, needs free disk of its size); online (LOCK=NONE) but takes a brief metadata lock at start and end: WARNING, run it off-peak.',
            rollback: 'None needed: the rebuilt table has the same rows.',
          },
        }),
      );
    }
  }
  return out;
}
