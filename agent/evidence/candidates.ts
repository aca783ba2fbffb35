import type { Thresholds } from '../config/thresholds.js';
import type { ColumnFacts, ExistingIndex, TableFacts } from '../engines/engine.js';
import type { ColumnUse, StatementShape } from './shape.js';

// Pure candidate generation: from what each statement does with a table's columns and the
// planner's statistics, the composite index a DBA would write — equality columns first (most
// selective first), then one range column, then sort columns — minus what an existing index
// already serves, columns too unselective to help, and tables too small to matter.

export interface SourceStatement {
  id: string;
  /** the text to plan: normalized (`$n`/`?`) or a real sample (INTERNAL: may hold literals) */
  text: string;
  /** the text a finding may show (redacted unless the config asks for samples) */
  shown: string;
  database: string | null;
  calls: number;
  totalSeconds: number;
  shape: StatementShape;
}

export interface Candidate {
  /** the table as the catalog names it (schema.table / database.table) */
  table: string;
  columns: string[];
  /** statements it is meant to help */
  statements: SourceStatement[];
  /** estimated rows one lookup of the equality prefix returns */
  rowsPerKey: number;
  /** how many leading columns are equalities (the rest: one range, or the sort of a LIMIT) */
  equalityCount: number;
  /** operator class per key column (LIKE 'prefix%' where the collation needs one) */
  opclass?: Record<string, string>;
  /** key columns filtered by LIKE with a parameter: the pattern is assumed a prefix */
  assumedPrefix?: string[];
  /**
   * Every column its statements read from the table besides the key: what a covering index
   * would carry. null when some statement reads every column (`*`) or one that cannot be placed.
   */
  payload: string[] | null;
  /** some statement stops after a LIMIT: it fetches only a few rows whatever the key matches */
  limited: boolean;
  /**
   * executions of statements (UPDATE) that rewrite one of the key columns, from the statement
   * statistics: each one maintains the index too
   */
  keyWrites: number;
}

export type FactsLookup = (database: string | null, table: string) => TableFacts | undefined;

/** Base column of an expression column: `lower(email)` -> `email`. */
export function baseColumn(column: string): string {
  const m = /^[a-z_0-9]+\((.+)\)$/i.exec(column);
  return m?.[1] ?? column;
}

function columnFacts(facts: TableFacts, column: string): ColumnFacts | undefined {
  const base = baseColumn(column).toLowerCase();
  return facts.columns.find((c) => c.name.toLowerCase() === base);
}

/** Distinct values of a column; unknown counts as unique-ish (let verification decide). */
export function distinctOf(facts: TableFacts, column: string): number {
  const d = columnFacts(facts, column)?.distinct ?? null;
  if (d === null || d <= 0) return Math.max(1, facts.rows);
  return Math.min(d, Math.max(1, facts.rows));
}

/** Rows matched by equality on all of `columns` (independence assumed, as the planner does). */
export function rowsPerKey(facts: TableFacts, columns: readonly string[]): number {
  let rows = Math.max(1, facts.rows);
  for (const c of columns) rows /= distinctOf(facts, c);
  return Math.max(1, rows);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function norm(column: string): string {
  return column
    .toLowerCase()
    .replace(/[`"\s]/g, '')
    .replace(/\(\d+\)$/, '');
}

/**
 * Is the candidate already served by an existing (non-partial) index? Either the candidate is
 * a prefix of the index (equality columns in any order), or the index leads with a prefix of
 * the candidate that already narrows a lookup to a handful of rows.
 */
export function servedBy(
  candidate: readonly string[],
  equalityCount: number,
  facts: TableFacts,
  thresholds: Thresholds,
): ExistingIndex | null {
  const want = candidate.map(norm);
  for (const index of facts.indexes) {
    if (index.where !== null) continue;
    const have = index.columns.map(norm);
    const k = Math.min(equalityCount, want.length);
    const headMatches = have.length >= k && sameSet(have.slice(0, k), want.slice(0, k));
    if (headMatches && have.length >= want.length && want.slice(k).every((c, i) => have[k + i] === c))
      return index;
    // a leading prefix that already narrows the lookup enough
    for (let p = Math.min(have.length, want.length); p >= 1; p--) {
      const eqPart = Math.min(p, equalityCount);
      const prefixOk =
        sameSet(have.slice(0, eqPart), want.slice(0, eqPart)) &&
        have.slice(eqPart, p).every((c, i) => want[eqPart + i] === c);
      if (
        prefixOk &&
        eqPart === p &&
        rowsPerKey(facts, candidate.slice(0, p)) <= thresholds.indexExtendMinRows
      )
        return index;
      if (prefixOk && p === want.length) return index;
    }
  }
  return null;
}

/**
 * The columns a statement reads from one table (select list, filters, sort, join keys), to
 * find what a covering index must carry; null when it reads them all (`*`).
 */
export function readsFrom(shape: StatementShape, tableAsNamed: string, facts: TableFacts): string[] | null {
  const out: string[] = [];
  for (const use of shape.uses) {
    if (use.kind !== 'read') continue;
    if (use.column === '*') {
      if (use.table === null || use.table === tableAsNamed) return null;
      continue;
    }
    if (!isMine(use, tableAsNamed, facts)) continue;
    const name = columnFacts(facts, use.column)?.name ?? use.column;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

interface Uses {
  /** equality with a constant or parameter */
  eq: string[];
  /** equality with another table's column: usable only when this table is the inner side of a join */
  join: string[];
  range: string[];
  sort: string[];
  /** range columns filtered by LIKE 'prefix%' (a pattern operator class where the collation needs one) */
  like: string[];
  /** of those, the ones whose pattern is a parameter (assumed a prefix) */
  likeParam: string[];
}

function isMine(use: ColumnUse, tableAsNamed: string, facts: TableFacts): boolean {
  return use.table === tableAsNamed || (use.table === null && columnFacts(facts, use.column) !== undefined);
}

function usesFor(shape: StatementShape, tableAsNamed: string, facts: TableFacts): Uses {
  const out: Uses = { eq: [], join: [], range: [], sort: [], like: [], likeParam: [] };
  const add = (into: string[], c: string) => {
    if (!into.includes(c)) into.push(c);
  };
  const sortsOnOtherTables = shape.uses.some(
    (u) => (u.kind === 'sort' || u.kind === 'group') && u.table !== null && u.table !== tableAsNamed,
  );
  for (const use of shape.uses) {
    if (!isMine(use, tableAsNamed, facts)) continue;
    if (use.kind === 'eq') add(out.eq, use.column);
    else if (use.kind === 'join') add(out.join, use.column);
    else if (use.kind === 'range') add(out.range, use.column);
    else if (use.kind === 'like') {
      add(out.range, use.column);
      add(out.like, use.column);
    } else if (use.kind === 'like-param' && columnFacts(facts, use.column)?.patternOpclass) {
      // The pattern of `col LIKE $1` is not in the normalized text. Where the collation makes a
      // plain btree useless for every LIKE, the manual's advice is a pattern operator class,
      // assuming prefix patterns (the finding says so); in a byte-sorted collation nothing is
      // proposed from a pattern nobody has seen ('%x%' would not use it).
      add(out.range, use.column);
      add(out.like, use.column);
      add(out.likeParam, use.column);
    }
    // GROUP BY alone: hashing the rows a filter found is cheap, an index order adds little
    else if (use.kind === 'sort' && !sortsOnOtherTables) add(out.sort, use.column);
  }
  out.join = out.join.filter((c) => !out.eq.includes(c));
  const keyed = [...out.eq, ...out.join];
  out.range = out.range.filter((c) => !keyed.includes(c));
  out.sort = out.sort.filter((c) => !keyed.includes(c));
  return out;
}

export interface TableCandidate {
  columns: string[];
  equalityCount: number;
  rowsPerKey: number;
  /** operator class per key column (LIKE 'prefix%' in a collation that does not sort by byte) */
  opclass?: Record<string, string>;
  /** key columns filtered by LIKE with a parameter: the pattern is assumed a prefix */
  assumedPrefix?: string[];
}

function build(
  equalities: readonly string[],
  uses: Uses,
  shape: StatementShape,
  facts: TableFacts,
  thresholds: Thresholds,
): TableCandidate | null {
  const rows = Math.max(1, facts.rows);
  // Equality columns, most selective first; each must narrow the lookup, and only while
  // the prefix still returns many rows.
  const eq = [...equalities].sort((a, b) => distinctOf(facts, b) - distinctOf(facts, a));
  const columns: string[] = [];
  for (const c of eq) {
    if (columns.length > 0 && rowsPerKey(facts, columns) <= thresholds.indexExtendMinRows) break;
    if (distinctOf(facts, c) <= 1) continue;
    columns.push(c);
  }
  // What may follow the equalities: one range column (sort columns after it could not give the
  // order anyway), else the ORDER BY columns when a LIMIT lets an index in that order stop
  // early. Without a LIMIT the whole match is read anyway: sorting it costs little.
  const range = uses.range[0];
  const tail = range !== undefined ? [range] : shape.limit ? uses.sort : [];
  // Too unselective even together: alone such an index returns a large share of the table.
  // In front of a range or a LIMITed sort it still narrows what that scan walks (equality
  // first, then the range: the textbook order, whatever the equality's selectivity).
  if (
    columns.length > 0 &&
    rowsPerKey(facts, columns) / rows > thresholds.indexMaxRowShare &&
    tail.length === 0
  ) {
    columns.length = 0;
  }
  const equalityCount = columns.length;
  const prefixRows = equalityCount > 0 ? rowsPerKey(facts, columns) : rows;
  if (prefixRows > thresholds.indexExtendMinRows) columns.push(...tail);
  if (columns.length === 0) return null;
  const opclass: Record<string, string> = {};
  for (const c of columns) {
    const op = uses.like.includes(c) ? columnFacts(facts, c)?.patternOpclass : null;
    if (op) opclass[c] = op;
  }
  const assumed = columns.filter((c) => uses.likeParam.includes(c));
  return {
    columns,
    equalityCount,
    rowsPerKey: prefixRows,
    ...(Object.keys(opclass).length > 0 ? { opclass } : {}),
    ...(assumed.length > 0 ? { assumedPrefix: assumed } : {}),
  };
}

/**
 * Does some other table of the statement return few rows (a selective equality, a range, a
 * LIMITed sort)? Only then is a table looked up by its JOIN key once per outer row; when
 * every side is read in bulk, a hash join of full scans is the right plan and a JOIN-key
 * index on the inner side would not be used.
 */
export function drivenElsewhere(
  shape: StatementShape,
  tableAsNamed: string,
  lookup: (table: string) => TableFacts | undefined,
  thresholds: Thresholds,
): boolean {
  return shape.tables.some((other) => {
    if (other === tableAsNamed) return false;
    const facts = lookup(other);
    const mine = shape.uses.filter((u) => (facts ? isMine(u, other, facts) : u.table === other));
    if (mine.some((u) => u.kind === 'range')) return true;
    if (shape.limit && mine.some((u) => u.kind === 'sort')) return true;
    const eq = mine.filter((u) => u.kind === 'eq').map((u) => u.column);
    if (eq.length === 0) return false;
    if (!facts) return true;
    return rowsPerKey(facts, eq) / Math.max(1, facts.rows) <= thresholds.indexMaxRowShare;
  });
}

/**
 * Candidates for the OR groups of a statement on one table: one per branch, when every
 * branch filters this table (BitmapOr / index_merge union); a branch without a usable
 * filter here means a full scan anyway, and then none.
 */
function orCandidates(
  shape: StatementShape,
  tableAsNamed: string,
  facts: TableFacts,
  base: Uses,
  thresholds: Thresholds,
): TableCandidate[] {
  const out: TableCandidate[] = [];
  for (const group of shape.orGroups ?? []) {
    const built: TableCandidate[] = [];
    for (const branch of group) {
      const mine = branch.filter((u) => isMine(u, tableAsNamed, facts));
      const eq = mine.filter((u) => u.kind === 'eq').map((u) => u.column);
      const range = mine.filter((u) => u.kind === 'range').map((u) => u.column);
      const uses: Uses = { eq, join: [], range, sort: [], like: [], likeParam: [] };
      const c =
        eq.length + range.length > 0
          ? build([...eq, ...base.eq], uses, { ...shape, limit: false }, facts, thresholds)
          : null;
      if (!c) {
        built.length = 0;
        break;
      }
      built.push(c);
    }
    for (const c of built) if (!out.some((o) => o.columns.join() === c.columns.join())) out.push(c);
  }
  return out;
}

/**
 * The DBA-ordered candidates for one statement on one table: one led by its constant
 * equalities (the table is filtered directly), and one keyed by its JOIN columns (the table
 * is the inner side of a join, looked up once per outer row). Verification picks.
 */
export function candidatesFor(
  shape: StatementShape,
  tableAsNamed: string,
  facts: TableFacts,
  thresholds: Thresholds,
  /** another table of the statement returns few rows (see drivenElsewhere); unknown: true */
  driven = true,
): TableCandidate[] {
  if (facts.rows < thresholds.indexMinTableRows) return [];
  const uses = usesFor(shape, tableAsNamed, facts);
  const out: TableCandidate[] = [];
  const push = (c: TableCandidate | null) => {
    if (c && !out.some((o) => o.columns.join() === c.columns.join())) out.push(c);
  };
  push(build(uses.eq, uses, shape, facts, thresholds));
  if (uses.join.length > 0 && driven) push(build([...uses.join, ...uses.eq], uses, shape, facts, thresholds));
  for (const c of orCandidates(shape, tableAsNamed, facts, uses, thresholds)) push(c);
  return out;
}

/** The first candidate (tests and callers that want one). */
export function candidateFor(
  shape: StatementShape,
  tableAsNamed: string,
  facts: TableFacts,
  thresholds: Thresholds,
): TableCandidate | null {
  return candidatesFor(shape, tableAsNamed, facts, thresholds)[0] ?? null;
}

/**
 * Candidates of all statements, per table, merged: identical ones and those that are a
 * leading prefix of another (the longer serves both) become one, helping all their statements.
 */
export function generateCandidates(
  statements: readonly SourceStatement[],
  lookup: FactsLookup,
  thresholds: Thresholds,
): Candidate[] {
  const raw: Candidate[] = [];
  for (const statement of statements) {
    for (const named of statement.shape.tables) {
      const facts = lookup(statement.database, named);
      if (!facts) continue;
      const driven = drivenElsewhere(
        statement.shape,
        named,
        (t) => lookup(statement.database, t),
        thresholds,
      );
      const reads = readsFrom(statement.shape, named, facts);
      for (const c of candidatesFor(statement.shape, named, facts, thresholds, driven)) {
        // an existing index serves a pattern column only with the same operator class
        const asIndexed = c.columns.map((k) => (c.opclass?.[k] ? `${k} ${c.opclass[k]}` : k));
        if (servedBy(asIndexed, c.equalityCount, facts, thresholds)) continue;
        raw.push({
          table: facts.table,
          columns: c.columns,
          statements: [statement],
          rowsPerKey: c.rowsPerKey,
          equalityCount: c.equalityCount,
          ...(c.opclass ? { opclass: c.opclass } : {}),
          ...(c.assumedPrefix ? { assumedPrefix: c.assumedPrefix } : {}),
          payload: reads === null ? null : reads.filter((r) => !c.columns.map(norm).includes(norm(r))),
          limited: statement.shape.limit,
          keyWrites: 0,
        });
      }
    }
  }
  // Longest first, so shorter ones fold into them.
  raw.sort((a, b) => b.columns.length - a.columns.length);
  const merged: Candidate[] = [];
  for (const c of raw) {
    const into = merged.find(
      (m) =>
        m.table === c.table &&
        c.columns.every((col, i) => m.columns[i] === col && m.opclass?.[col] === c.opclass?.[col]),
    );
    if (into) {
      for (const s of c.statements) if (!into.statements.some((x) => x.id === s.id)) into.statements.push(s);
      into.payload =
        into.payload === null || c.payload === null
          ? null
          : [...into.payload, ...c.payload.filter((p) => !into.payload?.includes(p))].filter(
              (p) => !into.columns.map(norm).includes(norm(p)),
            );
      into.limited ||= c.limited;
    } else merged.push({ ...c, statements: [...c.statements], payload: c.payload && [...c.payload] });
  }
  for (const c of merged) c.keyWrites = keyWrites(statements, lookup, c);
  return merged;
}

/** Executions of the statements that rewrite one of the candidate's key columns. */
function keyWrites(statements: readonly SourceStatement[], lookup: FactsLookup, c: Candidate): number {
  const keys = c.columns.map((k) => norm(baseColumn(k)));
  let calls = 0;
  for (const s of statements) {
    const writes = s.shape.tables.some((named) => {
      const facts = lookup(s.database, named);
      return (
        facts?.table === c.table &&
        s.shape.uses.some((u) => u.kind === 'set' && isMine(u, named, facts) && keys.includes(norm(u.column)))
      );
    });
    if (writes) calls += s.calls;
  }
  return calls;
}

export function candidateKey(c: { table: string; columns: readonly string[] }): string {
  return `${c.table}(${c.columns.join(',')})`;
}
