import { HELPER_FUNCTIONS, HELPER_SCHEMA } from './grants.js';

// How the agent finds and calls the helper `dbdiag grants` installs (grants.ts). Found by a
// catalog read that cannot fail for want of a privilege (has_*_privilege on oids), once per
// connection: a missing or unusable helper is a fact for the privileges probe to report, not
// an error in the server log every cycle.

/** Which helpers this role may call, and whether it reads every table anyway (superuser, pg_read_all_data). */
const HELPER_FACTS_COLUMNS = `coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), false)
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
      WHERE r.rolname = 'pg_read_all_data' AND pg_catalog.pg_has_role(r.oid, 'USAGE')) AS reads_all_data,
  (SELECT pg_catalog.substring(pg_catalog.obj_description(n.oid, 'pg_namespace'), 'dbdiag helper ([0-9]+)')::int
    FROM pg_catalog.pg_namespace n WHERE n.nspname = '${HELPER_SCHEMA}') AS helper_version,
  ARRAY(SELECT p.proname::text FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = '${HELPER_SCHEMA}'
      AND (p.proname, pg_catalog.oidvectortypes(p.proargtypes)) IN (${Object.values(HELPER_FUNCTIONS)
        .map((f) => `('${f.name}', '${f.args}')`)
        .join(', ')})
      AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
      AND pg_catalog.has_function_privilege(p.oid, 'EXECUTE')) AS helpers`;

export const HELPER_FACTS_SQL = `/* dbdiag:connect */ SELECT ${HELPER_FACTS_COLUMNS}`;

/** The privileges probe: the same facts, re-read on its schedule (a helper installed later is used). */
export const PRIVILEGE_FACTS_SQL = `/* dbdiag:privileges */ SELECT ${HELPER_FACTS_COLUMNS},
  pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE') AS reads_all_stats`;

export interface HelperFacts {
  /** superuser or pg_read_all_data: application tables are readable without the helper */
  readsAllData: boolean;
  /** the helper's version from its schema comment; null when there is no dbdiag schema */
  version: number | null;
  columnStats: boolean;
  explain: boolean;
}

export interface HelperFactsRow {
  reads_all_data: boolean;
  helper_version: number | null;
  helpers: string[];
}

export function helperFacts(row: HelperFactsRow | undefined): HelperFacts {
  const callable = new Set(row?.helpers ?? []);
  return {
    readsAllData: row?.reads_all_data === true,
    version: row?.helper_version ?? null,
    columnStats: callable.has(HELPER_FUNCTIONS.columnStats.name),
    explain: callable.has(HELPER_FUNCTIONS.explain.name),
  };
}

/** Column statistics through the helper: pg_stats as its owner sees it, no values. */
export const HELPER_COLUMN_FACTS_SQL = `/* dbdiag:catalog-facts */ SELECT a.attname AS name, s.n_distinct::float8 AS n_distinct,
  s.null_frac::float8 AS null_frac, s.avg_width::float8 AS avg_width,
  CASE WHEN coll.provider IS NULL OR coll.provider = 'b' OR (coll.provider = 'c' AND coll.lc IN ('C', 'POSIX')) THEN NULL
    WHEN a.atttypid = 'pg_catalog.bpchar'::pg_catalog.regtype THEN 'bpchar_pattern_ops'
    WHEN a.atttypid = 'pg_catalog.varchar'::pg_catalog.regtype THEN 'varchar_pattern_ops'
    WHEN a.atttypid = 'pg_catalog.text'::pg_catalog.regtype THEN 'text_pattern_ops' END AS pattern_opclass,
  pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'SELECT') AS readable
FROM pg_catalog.pg_attribute a
LEFT JOIN ${HELPER_SCHEMA}.${HELPER_FUNCTIONS.columnStats.name}($2, $3) s ON s.column_name = a.attname
LEFT JOIN LATERAL (
  SELECT CASE WHEN co.collname = 'default' THEN COALESCE(db.d ->> 'datlocprovider', 'c') ELSE co.collprovider::text END AS provider,
    CASE WHEN co.collname = 'default' THEN db.d ->> 'datcollate' ELSE co.collcollate END AS lc
  FROM pg_catalog.pg_collation co,
    (SELECT pg_catalog.to_jsonb(dd) AS d FROM pg_catalog.pg_database dd WHERE dd.datname = pg_catalog.current_database()) db
  WHERE co.oid = a.attcollation
) coll ON true
WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped`;

/** EXPLAIN (FORMAT JSON) through the helper; names resolve with this session's search_path. */
export const HELPER_EXPLAIN_SQL = `/* dbdiag:explain */ SELECT ${HELPER_SCHEMA}.${HELPER_FUNCTIONS.explain.name}($1, $2, pg_catalog.current_setting('search_path')) AS plan`;
