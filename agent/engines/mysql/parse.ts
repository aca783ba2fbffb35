import nodeSqlParser from 'node-sql-parser';
import {
  addTable,
  emptyShape,
  finishShape,
  type OrTag,
  type StatementShape,
  type UseKind,
} from '../../evidence/shape.js';

// MySQL/MariaDB statements (performance_schema digest text with `?`, or a real sample)
// parsed with node-sql-parser. Same extraction as the PostgreSQL parser (../postgres/parse.ts): equality / IN, ranges,
// JOIN keys, ORDER BY, GROUP BY in the AND part of WHERE and ON.

const parser = new nodeSqlParser.Parser();

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isNode(value)) {
    if (typeof value.value === 'string') return value.value;
    if (isNode(value.expr)) return text(value.expr);
  }
  return null;
}

interface ColumnRef {
  qualifier: string | null;
  column: string;
}

function columnOf(expr: unknown): ColumnRef | null {
  if (!isNode(expr)) return null;
  if (expr.type === 'column_ref') {
    const column = text(expr.column);
    if (!column || column === '*') return null;
    const table = text(expr.table);
    return { qualifier: table && table.length > 0 ? table : null, column };
  }
  if (expr.type === 'cast') return columnOf(expr.expr);
  if (expr.type === 'function') {
    const args = list(isNode(expr.args) ? expr.args.value : undefined);
    const nameNode = expr.name;
    const name = isNode(nameNode) ? list(nameNode.name).map(text).at(-1) : text(nameNode);
    if (args.length !== 1 || !name) return null;
    const inner = columnOf(args[0]);
    if (!inner || inner.column.includes('(')) return null;
    return { qualifier: inner.qualifier, column: `${name.toLowerCase()}(${inner.column})` };
  }
  return null;
}

function mentionsColumn(expr: unknown): boolean {
  if (Array.isArray(expr)) return expr.some(mentionsColumn);
  if (!isNode(expr)) return false;
  if (expr.type === 'column_ref') return true;
  if ('ast' in expr) return false;
  return Object.values(expr).some(mentionsColumn);
}

const RANGE_OPS = new Set(['<', '>', '<=', '>=']);

/** Every column reference in an expression (not inside a subquery): `*` for `t.*` / `*`. */
function columnRefs(expr: unknown, out: ColumnRef[] = []): ColumnRef[] {
  if (Array.isArray(expr)) {
    for (const e of expr) columnRefs(e, out);
    return out;
  }
  if (!isNode(expr)) return out;
  if ('ast' in expr) return out;
  if (expr.type === 'column_ref') {
    const column = text(expr.column);
    const table = text(expr.table);
    if (column) out.push({ qualifier: table && table.length > 0 ? table : null, column });
    return out;
  }
  for (const value of Object.values(expr)) columnRefs(value, out);
  return out;
}

/**
 * `LIKE 'abc%'` (a real sample's literal) is a range scan on a btree; a leading wildcard, or
 * a digest's `?` whose pattern is unknown, is not.
 */
function prefixPattern(expr: unknown): boolean {
  if (!isNode(expr) || typeof expr.value !== 'string' || !String(expr.type).includes('string')) return false;
  const v = expr.value;
  return v.length > 1 && !/^[%_]/.test(v) && /^[^%_]+%$/.test(v);
}

class Collector {
  readonly shape: StatementShape = emptyShape();
  private readonly pending: { ref: ColumnRef; kind: UseKind; or: OrTag | null }[] = [];
  private readonly orBranches: number[] = [];

  private use(ref: ColumnRef, kind: UseKind, or: OrTag | null = null): void {
    this.pending.push({ ref, kind, or });
  }

  /** every column an expression reads, as `read` uses */
  private reads(expr: unknown): void {
    for (const ref of columnRefs(expr)) this.use(ref, 'read');
  }

  /** The branches of a chain of ORs: `a OR b OR c` parses as ((a OR b) OR c). */
  private branches(expr: unknown): unknown[] {
    if (isNode(expr) && expr.type === 'binary_expr' && String(expr.operator).toUpperCase() === 'OR')
      return [...this.branches(expr.left), ...this.branches(expr.right)];
    return [expr];
  }

  from(items: unknown): void {
    for (const item of list(items)) {
      if (!isNode(item)) continue;
      if (isNode(item.expr) && isNode(item.expr.ast)) this.statement(item.expr.ast);
      const table = text(item.table);
      if (table) {
        const db = text(item.db);
        addTable(this.shape, db ? `${db}.${table}` : table, text(item.as));
      }
      if (item.on) this.predicate(item.on);
    }
  }

  predicate(expr: unknown, or: OrTag | null = null): void {
    if (!isNode(expr)) return;
    if (isNode(expr.ast)) {
      this.statement(expr.ast);
      return;
    }
    if (expr.type !== 'binary_expr') {
      this.subqueries(expr);
      return;
    }
    const op = String(expr.operator).toUpperCase();
    if (op === 'AND') {
      this.predicate(expr.left, or);
      this.predicate(expr.right, or);
      return;
    }
    if (op === 'OR') {
      if (or !== null) {
        this.subqueries(expr);
        return;
      }
      // one level of OR: each branch may be served by an index of its own
      const group = this.orBranches.length;
      const branches = this.branches(expr);
      this.orBranches.push(branches.length);
      for (const [branch, b] of branches.entries()) this.predicate(b, { group, branch });
      return;
    }
    const l = columnOf(expr.left);
    const r = columnOf(expr.right);
    if (op === '=') {
      if (l && r) {
        if (or === null) {
          this.use(l, 'join');
          this.use(r, 'join');
        }
      } else if (l && !mentionsColumn(expr.right)) this.use(l, 'eq', or);
      else if (r && !mentionsColumn(expr.left)) this.use(r, 'eq', or);
    } else if (RANGE_OPS.has(op)) {
      if (l && !mentionsColumn(expr.right)) this.use(l, 'range', or);
      else if (r && !mentionsColumn(expr.left)) this.use(r, 'range', or);
    } else if (op === 'IN' && l) {
      // `col IN (SELECT ...)`: col is matched against the subquery's rows, a join key
      const sub =
        isNode(expr.right) &&
        (isNode(expr.right.ast) || list(expr.right.value).some((v) => isNode(v) && isNode(v.ast)));
      if (!sub) this.use(l, 'eq', or);
      else if (or === null) this.use(l, 'join');
    } else if (op === 'BETWEEN' && l) this.use(l, 'range', or);
    else if (op === 'LIKE' && l && prefixPattern(expr.right)) this.use(l, 'range', or);
    this.subqueries(expr);
  }

  subqueries(expr: unknown): void {
    if (Array.isArray(expr)) for (const e of expr) this.subqueries(e);
    if (!isNode(expr)) return;
    if (isNode(expr.ast)) {
      this.statement(expr.ast);
      return;
    }
    for (const value of Object.values(expr)) this.subqueries(value);
  }

  statement(ast: unknown): void {
    if (!isNode(ast)) return;
    const type = ast.type;
    if (type === 'select') {
      for (const cte of list(ast.with))
        if (isNode(cte) && isNode(cte.stmt)) this.statement(cte.stmt.ast ?? cte.stmt);
      this.from(ast.from);
      this.predicate(ast.where);
      const columns = ast.columns === '*' ? [{ type: 'column_ref', table: null, column: '*' }] : ast.columns;
      this.reads([
        columns,
        ast.where,
        ast.having,
        ast.orderby,
        ast.groupby,
        list(ast.from).map((f) => (isNode(f) ? f.on : null)),
      ]);
      if (isNode(ast.limit) && list(ast.limit.value).length > 0) this.shape.limit = true;
      for (const o of list(ast.orderby)) {
        const ref = isNode(o) ? columnOf(o.expr) : null;
        if (ref) this.use(ref, 'sort');
      }
      const group = isNode(ast.groupby) ? list(ast.groupby.columns) : list(ast.groupby);
      for (const g of group) {
        const ref = columnOf(g);
        if (ref) this.use(ref, 'group');
      }
      if (isNode(ast._next)) this.statement(ast._next);
    } else if (type === 'update') {
      this.from(ast.table);
      this.from(ast.from);
      this.predicate(ast.where);
      for (const s of list(ast.set)) {
        const column = isNode(s) ? text(s.column) : null;
        const table = isNode(s) ? text(s.table) : null;
        if (column) this.use({ qualifier: table && table.length > 0 ? table : null, column }, 'set');
      }
    } else if (type === 'delete') {
      this.from(ast.from);
      this.predicate(ast.where);
    }
  }

  finish(): StatementShape {
    return finishShape(this.shape, this.pending, this.orBranches);
  }
}

/** Digest text marks elided lists as `(...)` and may be cut short with `...`: make it parseable. */
export function prepareDigestText(sql: string): string {
  return sql
    .replace(/\(\s*\.\.\.\s*\)/g, '(?)')
    .replace(/\s*\.\.\.\s*$/, '')
    .trim()
    .replace(/;\s*$/, '');
}

/** Parses one MySQL/MariaDB statement; null when it is not SELECT/UPDATE/DELETE or does not parse. */
export function parseMysql(sql: string): StatementShape | null {
  let ast: unknown;
  try {
    ast = parser.astify(prepareDigestText(sql), { database: 'MariaDB' });
  } catch {
    try {
      ast = parser.astify(prepareDigestText(sql), { database: 'MySQL' });
    } catch {
      return null;
    }
  }
  const stmts = Array.isArray(ast) ? ast : [ast];
  if (stmts.length !== 1) return null;
  const stmt = stmts[0];
  if (!isNode(stmt) || !['select', 'update', 'delete'].includes(String(stmt.type))) return null;
  const collector = new Collector();
  collector.statement(stmt);
  const shape = collector.finish();
  return shape.tables.length > 0 ? shape : null;
}
