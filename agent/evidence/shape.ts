// What a statement does with each table's columns, whatever the SQL dialect: the input of
// index candidate generation. Produced by each engine's parser (agent/engines/<engine>/parse.ts).

/**
 * `read`: any column the statement reads from the table, wherever (select list, filters,
 * sort): what a covering index must carry; column `*` when it reads every column.
 * `set`: a column an UPDATE writes (an index on it is maintained on every such write).
 * `like`: LIKE with a pattern a btree range can serve ('abc%'): a range for candidates; in a
 * collation that does not sort by byte it needs a pattern operator class.
 * `like-param`: LIKE with a parameter whose pattern the normalized text does not show.
 */
export type UseKind = 'eq' | 'range' | 'join' | 'sort' | 'group' | 'read' | 'set' | 'like' | 'like-param';

export interface ColumnUse {
  /** the table as the statement names it (possibly schema-qualified); null when unqualified among several tables */
  table: string | null;
  /** a column name, or an expression over one column as text, e.g. `lower(email)` */
  column: string;
  kind: UseKind;
}

export interface StatementShape {
  /** tables as the statement names them */
  tables: string[];
  /** alias -> table as named */
  aliases: Record<string, string>;
  uses: ColumnUse[];
  /** the statement has a LIMIT: an index in sort order lets it stop early */
  limit: boolean;
  /**
   * Disjunctions in the AND part of WHERE/ON: each group is a list of branches, each branch
   * the equality/range uses it has. An index per branch can serve one (BitmapOr / index_merge)
   * only when every branch has a use on the same table.
   */
  orGroups?: ColumnUse[][][];
}

export function emptyShape(): StatementShape {
  return { tables: [], aliases: {}, uses: [], limit: false, orGroups: [] };
}

/** Adds a table (and its alias) once. */
export function addTable(shape: StatementShape, table: string, alias: string | null): void {
  if (!shape.tables.includes(table)) shape.tables.push(table);
  shape.aliases[alias ?? table] = table;
  const bare = table.split('.').at(-1);
  if (alias === null && bare && bare !== table && !(bare in shape.aliases)) shape.aliases[bare] = table;
}

/** The table a qualifier (alias or name) refers to; with no qualifier and one table, that table. */
export function resolveQualifier(shape: StatementShape, qualifier: string | null): string | null {
  if (qualifier === null) return shape.tables.length === 1 ? (shape.tables[0] ?? null) : null;
  return shape.aliases[qualifier] ?? null;
}

/** Where a use sits inside an OR: which disjunction, which branch. */
export interface OrTag {
  group: number;
  branch: number;
}

/**
 * Places the collected column references (qualifier -> table as named) into the shape: plain
 * uses, and OR-branch uses into their group. A qualifier naming nothing in scope (an outer
 * query's alias) cannot be placed.
 */
export function finishShape(
  shape: StatementShape,
  pending: readonly { ref: { qualifier: string | null; column: string }; kind: UseKind; or: OrTag | null }[],
  orBranches: readonly number[],
): StatementShape {
  const groups: ColumnUse[][][] = orBranches.map((n) => Array.from({ length: n }, () => []));
  for (const { ref, kind, or } of pending) {
    const use: ColumnUse = { table: resolveQualifier(shape, ref.qualifier), column: ref.column, kind };
    if (ref.qualifier !== null && use.table === null) continue;
    if (or === null) shape.uses.push(use);
    else groups[or.group]?.[or.branch]?.push(use);
  }
  shape.orGroups = groups;
  return shape;
}
