import type { PlanAccess, PlanCost } from '../engine.js';
import type { PgQuery } from './catalog-facts.js';
import { HELPER_EXPLAIN_SQL } from './helper.js';

// Plans of statements as pg_stat_statements shows them: normalized, with `$n` parameters.
// Such a statement is planned generically — EXPLAIN (GENERIC_PLAN) on 16+; before that, a
// prepared statement EXPLAIN EXECUTEd under plan_cache_mode = force_generic_plan (the values
// passed are NULLs the generic plan never looks at). EXPLAIN without ANALYZE never runs it.

export const EXPLAIN_GENERIC_SQL_PREFIX =
  '/* dbdiag:explain */ EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON) ';
export const EXPLAIN_SQL_PREFIX = '/* dbdiag:explain */ EXPLAIN (VERBOSE, FORMAT JSON) ';
export const FORCE_GENERIC_SQL = `/* dbdiag:explain */ SET plan_cache_mode = force_generic_plan`;
export const RESET_PLAN_MODE_SQL = `/* dbdiag:explain */ RESET plan_cache_mode`;
export const PREPARED_EXISTS_SQL = `/* dbdiag:explain */ SELECT 1 AS one FROM pg_prepared_statements WHERE name = $1`;
const PREPARED = 'dbdiag_explain';

/** Highest `$n` outside quoted strings and comments: the parameter count. */
export function parameterCount(sql: string): number {
  const stripped = sql
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/--[^\n]*/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '');
  let max = 0;
  for (const m of stripped.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]));
  return max;
}

function stripTerminator(sql: string): string {
  return sql.trim().replace(/;\s*$/, '');
}

type PlanNode = Record<string, unknown>;

function collectAccesses(node: PlanNode, out: PlanAccess[]): void {
  const type = String(node['Node Type'] ?? '');
  const relation = node['Relation Name'];
  const schema = node.Schema;
  const table =
    typeof relation === 'string' ? (typeof schema === 'string' ? `${schema}.${relation}` : relation) : null;
  const rows = typeof node['Plan Rows'] === 'number' ? (node['Plan Rows'] as number) : null;
  const children = Array.isArray(node.Plans) ? (node.Plans as PlanNode[]) : [];
  if (table !== null) {
    if (type === 'Seq Scan') {
      const cost = node['Total Cost'];
      // a scan node's row estimate is what it returns after its filter
      out.push({
        table,
        method: 'seq',
        index: null,
        rows,
        returned: rows,
        ...(typeof cost === 'number' ? { cost } : {}),
      });
    } else if (type === 'Index Scan' || type === 'Index Only Scan')
      out.push({ table, method: 'index', index: String(node['Index Name'] ?? ''), rows });
    else if (type === 'Bitmap Heap Scan') {
      const names: string[] = [];
      const walk = (n: PlanNode) => {
        if (n['Node Type'] === 'Bitmap Index Scan') names.push(String(n['Index Name'] ?? ''));
        for (const c of Array.isArray(n.Plans) ? (n.Plans as PlanNode[]) : []) walk(c);
      };
      for (const c of children) walk(c);
      out.push({ table, method: 'index', index: names[0] ?? null, rows });
      return;
    } else out.push({ table, method: 'other', index: null, rows });
  }
  for (const c of children) collectAccesses(c, out);
}

/** EXPLAIN (FORMAT JSON) output -> cost and table accesses. */
export function planFromJson(json: unknown, method: string): PlanCost | null {
  const root = Array.isArray(json) ? json[0] : json;
  const plan = (root as { Plan?: PlanNode } | undefined)?.Plan;
  if (!plan) return null;
  const accesses: PlanAccess[] = [];
  collectAccesses(plan, accesses);
  return { cost: Number(plan['Total Cost'] ?? 0), accesses, method };
}

export async function explainPostgres(
  query: PgQuery,
  versionNum: number,
  statement: string,
): Promise<PlanCost | null> {
  const sql = stripTerminator(statement);
  const params = parameterCount(sql);
  if (params === 0) {
    const [row] = await query<{ 'QUERY PLAN': unknown }>(`${EXPLAIN_SQL_PREFIX}${sql}`);
    return planFromJson(row?.['QUERY PLAN'], 'plain');
  }
  if (versionNum >= 160000) {
    const [row] = await query<{ 'QUERY PLAN': unknown }>(`${EXPLAIN_GENERIC_SQL_PREFIX}${sql}`);
    return planFromJson(row?.['QUERY PLAN'], 'generic-plan');
  }
  // Only an existing one is deallocated: a failed DEALLOCATE would abort an enclosing
  // transaction (the sandbox build plans inside one), and PREPARE outlives a rollback.
  const left = await query(PREPARED_EXISTS_SQL, [PREPARED]);
  if (left.length > 0) await query(`/* dbdiag:explain */ DEALLOCATE ${PREPARED}`);
  await query(`/* dbdiag:explain */ PREPARE ${PREPARED} AS ${sql}`);
  try {
    await query(FORCE_GENERIC_SQL);
    const args = Array.from({ length: params }, () => 'NULL').join(', ');
    const [row] = await query<{ 'QUERY PLAN': unknown }>(`${EXPLAIN_SQL_PREFIX}EXECUTE ${PREPARED}(${args})`);
    return planFromJson(row?.['QUERY PLAN'], 'forced-generic');
  } finally {
    await query(RESET_PLAN_MODE_SQL).catch(() => undefined);
    await query(`/* dbdiag:explain */ DEALLOCATE ${PREPARED}`).catch(() => undefined);
  }
}

/**
 * The same plan through the dbdiag helper (grants.ts), for a role that may not read the
 * statement's tables: the helper plans it as its owner, the same way as above.
 */
export async function explainWithHelper(
  query: PgQuery,
  versionNum: number,
  statement: string,
): Promise<PlanCost | null> {
  const sql = stripTerminator(statement);
  const params = parameterCount(sql);
  const [row] = await query<{ plan: unknown }>(HELPER_EXPLAIN_SQL, [sql, params]);
  const method = params === 0 ? 'plain' : versionNum >= 160000 ? 'generic-plan' : 'forced-generic';
  return planFromJson(row?.plan, method);
}
