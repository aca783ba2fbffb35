import { loadModule, parse } from 'libpg-query';
import {
  addTable,
  emptyShape,
  finishShape,
  type OrTag,
  type StatementShape,
  type UseKind,
} from '../../evidence/shape.js';

// PostgreSQL statements (pg_stat_statements' normalized `$n` text, or real ones) parsed with
// PostgreSQL's own parser (libpg-query, WASM). Only what an index can serve is kept:
// equality / IN, ranges, JOIN keys (equalities between two tables), ORDER BY, GROUP BY — in
// the conjunctive (AND) part of WHERE and ON; an OR branch cannot drive one btree index.

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(node: unknown, key: string): unknown {
  return isNode(node) ? node[key] : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function sval(node: unknown): string | null {
  const s = child(node, 'String');
  const v = child(s, 'sval');
  return typeof v === 'string' ? v : null;
}

interface ColumnRef {
  qualifier: string | null;
  column: string;
}

/** A column reference, possibly under casts or a one-argument function (lower(email)). */
function columnOf(expr: unknown): ColumnRef | null {
  if (!isNode(expr)) return null;
  if ('TypeCast' in expr) return columnOf(child(expr.TypeCast, 'arg'));
  if ('ColumnRef' in expr) {
    const fields = list(child(expr.ColumnRef, 'fields'))
      .map(sval)
      .filter((f): f is string => f !== null);
    const column = fields.at(-1);
    if (!column) return null;
    const qualifier = fields.length >= 2 ? fields.slice(0, -1).join('.') : null;
    // schema.table.column: the qualifier is the table as named
    return { qualifier, column };
  }
  if ('FuncCall' in expr) {
    const args = list(child(expr.FuncCall, 'args'));
    const name = list(child(expr.FuncCall, 'funcname')).map(sval).at(-1);
    if (args.length !== 1 || !name) return null;
    const inner = columnOf(args[0]);
    if (!inner || inner.column.includes('(')) return null;
    return { qualifier: inner.qualifier, column: `${name.toLowerCase()}(${inner.column})` };
  }
  return null;
}

/** Does this expression reference any column (then it is not a constant for the other side)? */
function mentionsColumn(expr: unknown): boolean {
  if (Array.isArray(expr)) return expr.some(mentionsColumn);
  if (!isNode(expr)) return false;
  if ('ColumnRef' in expr) return true;
  if ('SubLink' in expr) return false;
  return Object.values(expr).some(mentionsColumn);
}

const RANGE_OPS = new Set(['<', '>', '<=', '>=']);

/** The pattern of a LIKE a btree range can serve: a constant without a leading wildcard ('abc%'). */
function likePrefix(pattern: unknown): boolean {
  if (!isNode(pattern)) return false;
  if ('TypeCast' in pattern) return likePrefix(child(pattern.TypeCast, 'arg'));
  const value = child(child(child(pattern, 'A_Const'), 'sval'), 'sval');
  return typeof value === 'string' && value.length > 1 && /^[^%_]+%$/.test(value);
}

/** Every column reference in an expression (not inside a subquery): `*` for `t.*` / `*`. */
function columnRefs(expr: unknown, out: ColumnRef[] = []): ColumnRef[] {
  if (Array.isArray(expr)) {
    for (const e of expr) columnRefs(e, out);
    return out;
  }
  if (!isNode(expr)) return out;
  if ('ColumnRef' in expr) {
    const fields = list(child(expr.ColumnRef, 'fields'));
    const names = fields.map(sval);
    const star = fields.some((f) => isNode(f) && 'A_Star' in f);
    const qualifier = names.slice(0, -1).filter((f): f is string => f !== null);
    const column = star ? '*' : names.at(-1);
    if (column) out.push({ qualifier: qualifier.length > 0 ? qualifier.join('.') : null, column });
    return out;
  }
  if ('SubLink' in expr) return columnRefs(child(expr.SubLink, 'testexpr'), out);
  if ('RangeSubselect' in expr || 'SelectStmt' in expr) return out;
  for (const value of Object.values(expr)) columnRefs(value, out);
  return out;
}

class Collector {
  readonly shape: StatementShape = emptyShape();
  private readonly pending: { ref: ColumnRef; kind: UseKind; or: OrTag | null }[] = [];
  private readonly orBranches: number[] = [];

  use(ref: ColumnRef, kind: UseKind, or: OrTag | null = null): void {
    this.pending.push({ ref, kind, or });
  }

  /** every column an expression reads, as `read` uses */
  reads(expr: unknown): void {
    for (const ref of columnRefs(expr)) this.use(ref, 'read');
  }

  relation(node: unknown): void {
    const rv = child(node, 'RangeVar') ?? node;
    const name = child(rv, 'relname');
    if (typeof name !== 'string') return;
    const schema = child(rv, 'schemaname');
    const table = typeof schema === 'string' ? `${schema}.${name}` : name;
    const alias = child(child(rv, 'alias'), 'aliasname');
    addTable(this.shape, table, typeof alias === 'string' ? alias : null);
  }

  from(item: unknown): void {
    if (!isNode(item)) return;
    if ('RangeVar' in item) this.relation(item);
    else if ('JoinExpr' in item) {
      const j = item.JoinExpr;
      this.from(child(j, 'larg'));
      this.from(child(j, 'rarg'));
      this.predicate(child(j, 'quals'));
    } else if ('RangeSubselect' in item) this.statement(child(item.RangeSubselect, 'subquery'));
  }

  predicate(expr: unknown, or: OrTag | null = null): void {
    if (!isNode(expr)) return;
    if ('BoolExpr' in expr) {
      const b = expr.BoolExpr;
      const op = child(b, 'boolop');
      if (op === 'AND_EXPR') for (const arg of list(child(b, 'args'))) this.predicate(arg, or);
      else if (op === 'OR_EXPR' && or === null) {
        // one level of OR: each branch may be served by an index of its own
        const group = this.orBranches.length;
        const args = list(child(b, 'args'));
        this.orBranches.push(args.length);
        for (const [branch, arg] of args.entries()) this.predicate(arg, { group, branch });
        return;
      }
      this.subqueries(expr);
      return;
    }
    if ('A_Expr' in expr) {
      const a = expr.A_Expr;
      const kind = child(a, 'kind');
      const op = list(child(a, 'name')).map(sval).at(-1);
      const left = child(a, 'lexpr');
      const right = child(a, 'rexpr');
      const l = columnOf(left);
      const r = columnOf(right);
      if (kind === 'AEXPR_OP' && op === '=') {
        if (l && r) {
          if (or === null) {
            this.use(l, 'join');
            this.use(r, 'join');
          }
        } else if (l && !mentionsColumn(right)) this.use(l, 'eq', or);
        else if (r && !mentionsColumn(left)) this.use(r, 'eq', or);
      } else if (kind === 'AEXPR_OP' && op && RANGE_OPS.has(op)) {
        if (l && !mentionsColumn(right)) this.use(l, 'range', or);
        else if (r && !mentionsColumn(left)) this.use(r, 'range', or);
      } else if (kind === 'AEXPR_IN' && op === '=' && l) this.use(l, 'eq', or);
      else if (kind === 'AEXPR_OP_ANY' && op === '=' && l) this.use(l, 'eq', or);
      else if ((kind === 'AEXPR_BETWEEN' || kind === 'AEXPR_BETWEEN_SYM') && l) this.use(l, 'range', or);
      else if (kind === 'AEXPR_LIKE' && op === '~~' && l && isNode(right) && 'ParamRef' in right)
        this.use(l, 'like-param', or);
      else if (kind === 'AEXPR_LIKE' && op === '~~' && l && likePrefix(right)) this.use(l, 'like', or);
      this.subqueries(expr);
      return;
    }
    this.subqueries(expr);
  }

  /** Subqueries inside an expression are statements of their own. */
  subqueries(expr: unknown): void {
    if (Array.isArray(expr)) for (const e of expr) this.subqueries(e);
    if (!isNode(expr)) return;
    if ('SubLink' in expr) {
      // `col IN (SELECT ...)` / `col = ANY (SELECT ...)`: col is matched against the
      // subquery's rows, a join key like any other
      const link = expr.SubLink;
      const test = columnOf(child(link, 'testexpr'));
      if (child(link, 'subLinkType') === 'ANY_SUBLINK' && test) this.use(test, 'join');
      this.statement(child(link, 'subselect'));
      return;
    }
    for (const value of Object.values(expr)) this.subqueries(value);
  }

  statement(stmt: unknown): void {
    if (!isNode(stmt)) return;
    if ('SelectStmt' in stmt) {
      const s = stmt.SelectStmt;
      for (const cte of list(child(child(s, 'withClause'), 'ctes')))
        this.statement(child(child(cte, 'CommonTableExpr'), 'ctequery'));
      if (child(s, 'op') !== undefined && child(s, 'op') !== 'SETOP_NONE') {
        this.statement({ SelectStmt: child(s, 'larg') });
        this.statement({ SelectStmt: child(s, 'rarg') });
        return;
      }
      for (const item of list(child(s, 'fromClause'))) this.from(item);
      this.predicate(child(s, 'whereClause'));
      for (const key of [
        'targetList',
        'whereClause',
        'havingClause',
        'sortClause',
        'groupClause',
        'fromClause',
      ])
        this.reads(child(s, key));
      if (child(s, 'limitCount') !== undefined) this.shape.limit = true;
      for (const sort of list(child(s, 'sortClause'))) {
        const ref = columnOf(child(child(sort, 'SortBy'), 'node'));
        if (ref) this.use(ref, 'sort');
      }
      for (const g of list(child(s, 'groupClause'))) {
        const ref = columnOf(g);
        if (ref) this.use(ref, 'group');
      }
      for (const target of list(child(s, 'targetList'))) this.subqueries(target);
    } else if ('UpdateStmt' in stmt) {
      const u = stmt.UpdateStmt;
      this.relation(child(u, 'relation'));
      for (const item of list(child(u, 'fromClause'))) this.from(item);
      this.predicate(child(u, 'whereClause'));
      const rv = child(u, 'relation');
      const alias = child(child(rv, 'alias'), 'aliasname');
      const name = child(rv, 'relname');
      const schema = child(rv, 'schemaname');
      const qualifier =
        typeof alias === 'string'
          ? alias
          : typeof name === 'string'
            ? typeof schema === 'string'
              ? `${schema}.${name}`
              : name
            : null;
      for (const target of list(child(u, 'targetList'))) {
        const column = child(child(target, 'ResTarget'), 'name');
        if (typeof column === 'string') this.use({ qualifier, column }, 'set');
      }
    } else if ('DeleteStmt' in stmt) {
      const d = stmt.DeleteStmt;
      this.relation(child(d, 'relation'));
      for (const item of list(child(d, 'usingClause'))) this.from(item);
      this.predicate(child(d, 'whereClause'));
    }
  }

  finish(): StatementShape {
    return finishShape(this.shape, this.pending, this.orBranches);
  }
}

let loaded: Promise<void> | null = null;

/** Parses one PostgreSQL statement; null when it is not SELECT/UPDATE/DELETE or does not parse. */
export async function parsePostgres(sql: string): Promise<StatementShape | null> {
  loaded ??= loadModule().then(() => undefined);
  await loaded;
  let tree: unknown;
  try {
    tree = await parse(sql);
  } catch {
    return null;
  }
  const stmts = list(child(tree, 'stmts'));
  if (stmts.length !== 1) return null;
  const stmt = child(stmts[0], 'stmt');
  if (!isNode(stmt) || !('SelectStmt' in stmt || 'UpdateStmt' in stmt || 'DeleteStmt' in stmt)) return null;
  const collector = new Collector();
  collector.statement(stmt);
  const shape = collector.finish();
  return shape.tables.length > 0 ? shape : null;
}
