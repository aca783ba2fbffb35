import type { GrantsOptions } from '../grants.js';

// The set-up an administrator runs once (as a superuser) so the monitoring role needs nothing
// beyond pg_monitor: `dbdiag grants --engine postgres --role mon | psql -U postgres -d app`.
//
// Index advice needs two things a monitoring role may not have: column statistics (pg_stats
// hides the rows of columns the role cannot SELECT) and plans of the application's statements
// (EXPLAIN checks the same table privileges as running the statement). Instead of granting the
// monitoring role the application's tables, two SECURITY DEFINER functions in a `dbdiag`
// schema (as pganalyze's collector does with its `pganalyze` schema) do exactly that and no
// more. They are owned by `dbdiag_helper`, a NOLOGIN role that holds pg_read_all_data /
// pg_write_all_data (PostgreSQL 14+: they cover tables created later, so nothing needs
// re-granting), never by a superuser:
//   dbdiag.column_stats(schema, table): null_frac, avg_width, n_distinct per column — never
//     the values (most_common_vals, histogram_bounds) pg_stats also holds;
//   dbdiag.explain(statement, parameters, search_path): EXPLAIN (FORMAT JSON) of one
//     SELECT/WITH/UPDATE/DELETE/INSERT, planned in a READ ONLY transaction (it is never run).
//     The planner evaluates immutable functions with constant arguments while planning, as
//     the helper's owner: the helper refuses to plan while the calling role owns any function
//     (a temporary one included), so the caller cannot have its own code run that way.
//
// Everything is idempotent (IF NOT EXISTS, CREATE OR REPLACE, GRANT of what is granted is a
// no-op), uses no psql variables, and every function pins its search_path.

/** The role owning the helper functions: no login, no superuser. */
export const HELPER_OWNER = 'dbdiag_helper';
export const HELPER_SCHEMA = 'dbdiag';
/** Bumped when a helper's definition changes; the agent says when the installed one is older. */
export const HELPER_VERSION = 1;

/** The identity of each helper function, as pg_proc shows its argument types. */
export const HELPER_FUNCTIONS = {
  columnStats: { name: 'column_stats', args: 'name, name' },
  explain: { name: 'explain', args: 'text, integer, text' },
} as const;

/** A PostgreSQL identifier, quoted when it is not a plain lower-case name. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export const COLUMN_STATS_FUNCTION = `CREATE OR REPLACE FUNCTION ${HELPER_SCHEMA}.column_stats(table_schema name, table_name name)
RETURNS TABLE (column_name name, null_frac real, avg_width integer, n_distinct real)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $dbdiag$
  /* dbdiag:helper */ SELECT s.attname, s.null_frac, s.avg_width, s.n_distinct
  FROM pg_catalog.pg_stats s
  WHERE s.schemaname = $1 AND s.tablename = $2
$dbdiag$;`;

export const EXPLAIN_FUNCTION = `CREATE OR REPLACE FUNCTION ${HELPER_SCHEMA}.explain(statement text, parameters integer, search_path text)
RETURNS json
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $dbdiag$
DECLARE
  body text := pg_catalog.regexp_replace(statement, ';\\s*$', '');
  args text;
  explain_sql text;
  prepare_sql text;
  plan json;
BEGIN
  -- plan only: nothing this function does can write (reverted when it returns)
  SET LOCAL transaction_read_only = on;
  IF pg_catalog.strpos(body, ';') > 0 THEN
    RAISE EXCEPTION 'dbdiag.explain plans one statement, without ";"' USING ERRCODE = '22023';
  END IF;
  IF body !~* '^\\s*(/\\*.*?\\*/\\s*)*(select|with|update|delete|insert|values|table)\\M' THEN
    RAISE EXCEPTION 'dbdiag.explain plans SELECT, WITH, UPDATE, DELETE or INSERT statements only' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = current_user AND rolsuper) THEN
    RAISE EXCEPTION 'dbdiag.explain is owned by a superuser: re-create it with dbdiag grants (owner ${HELPER_OWNER})' USING ERRCODE = '42501';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE pg_catalog.pg_has_role(session_user, p.proowner, 'USAGE')) THEN
    RAISE EXCEPTION 'dbdiag.explain refuses to plan for role %: it owns functions (they could run as the helper''s owner while planning)', session_user USING ERRCODE = '42501';
  END IF;
  IF coalesce(parameters, 0) = 0 THEN
    explain_sql := 'EXPLAIN (VERBOSE, FORMAT JSON) ' || body;
  ELSIF pg_catalog.current_setting('server_version_num')::integer >= 160000 THEN
    explain_sql := 'EXPLAIN (GENERIC_PLAN, VERBOSE, FORMAT JSON) ' || body;
  ELSE
    -- before 16: a prepared statement planned generically (plan_cache_mode above), NULL arguments
    SELECT pg_catalog.string_agg('NULL', ', ') INTO args FROM pg_catalog.generate_series(1, parameters);
    prepare_sql := 'PREPARE dbdiag_helper_plan AS ' || body;
    explain_sql := 'EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE dbdiag_helper_plan(' || args || ')';
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_prepared_statements WHERE name = 'dbdiag_helper_plan') THEN
      DEALLOCATE dbdiag_helper_plan;
    END IF;
  END IF;
  -- names in the statement resolve as in the caller's session; everything above is built already
  PERFORM pg_catalog.set_config('search_path', coalesce(explain.search_path, '"$user", public'), true);
  IF prepare_sql IS NULL THEN
    EXECUTE explain_sql INTO plan;
    RETURN plan;
  END IF;
  EXECUTE prepare_sql;
  BEGIN
    EXECUTE explain_sql INTO plan;
  EXCEPTION WHEN OTHERS THEN
    DEALLOCATE dbdiag_helper_plan;
    RAISE;
  END;
  DEALLOCATE dbdiag_helper_plan;
  RETURN plan;
END
$dbdiag$;`;

/** The whole set-up script for one monitoring role, in each given database (or psql's current one). */
export function postgresGrants(options: GrantsOptions): string {
  const role = quoteIdent(options.role);
  const roleLiteral = quoteLiteral(options.role);
  const owner = quoteIdent(HELPER_OWNER);
  const databases = options.databases.map((d) => ` --database ${d}`).join('');
  const lines: string[] = [
    `-- dbdiag set-up for PostgreSQL 14 or later: monitoring role ${options.role}, helper schema ${HELPER_SCHEMA}.`,
    '-- Run as a superuser:',
    `--   dbdiag grants --engine postgres --role ${options.role}${databases} | psql -U postgres${databases ? '' : ' -d <database>'}`,
    '-- Safe to run again (it keeps what exists). Set the password yourself afterwards:',
    `--   ALTER ROLE ${role} PASSWORD '...';`,
    '',
    '-- 1. The monitoring role: pg_monitor (pg_read_all_settings, pg_read_all_stats, pg_stat_scan_tables).',
    'DO $dbdiag$',
    'BEGIN',
    `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${roleLiteral}) THEN`,
    `    CREATE ROLE ${role} LOGIN;`,
    '  END IF;',
    'END',
    '$dbdiag$;',
    `GRANT pg_monitor TO ${role};`,
    '',
    `-- 2. The helper's owner: NOLOGIN, not a superuser. pg_read_all_data / pg_write_all_data let it`,
    '--    plan any statement on any table, including tables created later; the helper only plans.',
    'DO $dbdiag$',
    'BEGIN',
    "  IF pg_catalog.current_setting('server_version_num')::integer < 140000 THEN",
    "    RAISE EXCEPTION 'the dbdiag helper needs PostgreSQL 14 or later (pg_read_all_data)';",
    '  END IF;',
    `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(HELPER_OWNER)}) THEN`,
    `    CREATE ROLE ${owner} NOLOGIN;`,
    '  END IF;',
    'END',
    '$dbdiag$;',
    `GRANT pg_read_all_data, pg_write_all_data, pg_read_all_stats TO ${owner};`,
  ];
  const inDatabase = [
    `DO $dbdiag$ BEGIN EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO %I', pg_catalog.current_database(), ${roleLiteral}); END $dbdiag$;`,
    '',
    '-- 3. Statement statistics (pg_stat_statements must also be in shared_preload_libraries).',
    'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;',
    '',
    `-- 4. The helper schema and functions, owned by ${HELPER_OWNER}, executable by ${options.role} only.`,
    `CREATE SCHEMA IF NOT EXISTS ${HELPER_SCHEMA} AUTHORIZATION ${owner};`,
    `ALTER SCHEMA ${HELPER_SCHEMA} OWNER TO ${owner};`,
    `REVOKE ALL ON SCHEMA ${HELPER_SCHEMA} FROM PUBLIC;`,
    `COMMENT ON SCHEMA ${HELPER_SCHEMA} IS 'dbdiag helper ${HELPER_VERSION}: column statistics and EXPLAIN for the monitoring role';`,
    COLUMN_STATS_FUNCTION,
    EXPLAIN_FUNCTION,
  ];
  for (const f of Object.values(HELPER_FUNCTIONS)) {
    const fn = `${HELPER_SCHEMA}.${f.name}(${f.args})`;
    inDatabase.push(
      `ALTER FUNCTION ${fn} OWNER TO ${owner};`,
      `REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC;`,
      `GRANT EXECUTE ON FUNCTION ${fn} TO ${role};`,
    );
  }
  inDatabase.push(`GRANT USAGE ON SCHEMA ${HELPER_SCHEMA} TO ${role};`);
  if (options.databases.length === 0) lines.push('', ...inDatabase);
  for (const database of options.databases)
    lines.push('', `\\connect ${quoteIdent(database)}`, ...inDatabase);
  return `${lines.join('\n')}\n`;
}
