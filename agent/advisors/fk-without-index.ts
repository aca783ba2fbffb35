import { createIndexAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import { type AdvisorInput, latest, makeFinding, renderActions, rollbackText, traits } from './context.js';
import { indexProposal } from './index-proposal.js';

// PostgreSQL does not index the referencing side of a foreign key. Deleting or updating a
// parent row then scans the whole child table (under a lock), and JOINs on the key scan too.
// Only large referencing tables are flagged. (InnoDB creates such an index itself.)

export function fkWithoutIndex(input: AdvisorInput): Finding[] {
  if (traits(input).foreignKeysIndexedByServer) return [];
  const tables = latest(input)?.signals.tables;
  if (!tables) return [];
  const rowsOf = new Map(tables.tables.map((t) => [t.table, t.liveRows ?? 0]));
  const bytesOf = new Map(tables.tables.map((t) => [t.table, t.dataBytes]));
  const out: Finding[] = [];
  for (const fk of tables.foreignKeys) {
    const rows = rowsOf.get(fk.table) ?? 0;
    if (rows < input.thresholds.fkMinTableRows) continue;
    const covered = tables.indexes.some(
      (i) =>
        i.table === fk.table &&
        i.where === null &&
        i.columns.length >= fk.columns.length &&
        fk.columns.every((c) => i.columns.slice(0, fk.columns.length).includes(c)),
    );
    if (covered) continue;
    const bare = fk.table.split('.').at(-1) ?? fk.table;
    const name = `${bare}_${fk.columns.join('_')}_idx`.slice(0, 63);
    const create = createIndexAction({
      table: fk.table,
      name,
      columns: fk.columns,
      lockTimeoutSeconds: 5,
      risk: 'Every insert/update of the table maintains one more index.',
      tableBytes: bytesOf.get(fk.table) ?? null,
    });
    const rendered = renderActions(input, [create]);
    out.push(
      makeFinding(input, 'fk-without-index', {
        severity: 'warning',
        object: `${fk.table}.${fk.name}`,
        summary: `foreign key ${fk.name} on ${fk.table} (${fk.columns.join(', ')}) -> ${fk.referencedTable} has no index; ${Math.round(rows)} rows are scanned on every parent delete/update and JOIN`,
        evidence: {
          table: fk.table,
          constraint: fk.name,
          columns: fk.columns,
          referencedTable: fk.referencedTable,
          liveRows: rows,
        },
        fix: {
          summary: `Index ${fk.table} (${fk.columns.join(', ')})`,
          actions: [create],
          statements: rendered.statements,
          risk: `${rendered.risk} ${create.risk}`,
          rollback: rollbackText(input, [create], 'None needed.'),
          index: indexProposal(fk.table, fk.columns),
        },
      }),
    );
  }
  return out;
}
