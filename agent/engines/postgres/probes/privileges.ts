import type { PrivilegeGap } from '../../../snapshot/signals.js';
import { HELPER_OWNER, HELPER_SCHEMA, HELPER_VERSION, quoteIdent } from '../grants.js';
import { type HelperFacts, type HelperFactsRow, helperFacts, PRIVILEGE_FACTS_SQL } from '../helper.js';
import type { PgProbe, PgProbeContext } from '../probe.js';

// What the monitoring role lacks, checked with catalog reads that need no privilege (at
// connect and on the settings schedule), never by trying and failing: the gaps become one
// missing-privilege finding each, and the server log stays free of permission errors.

interface Row extends HelperFactsRow {
  reads_all_stats: boolean;
}

/** The set-up command for this role and database (README, "Least privilege"). */
export function grantsPipeline(role: string, database: string): string {
  return `dbdiag grants --engine postgres --role ${role} --database ${database} | psql -U postgres`;
}

/** Removing the helper: its schema in this database; its owner role once no database has one. */
const HELPER_REVOKE = [
  `DROP SCHEMA IF EXISTS ${HELPER_SCHEMA} CASCADE;`,
  `DROP ROLE IF EXISTS ${HELPER_OWNER};  -- after the schema is dropped in every database`,
];

export function privilegeGaps(
  role: string,
  database: string,
  readsAllStats: boolean,
  helper: HelperFacts,
): PrivilegeGap[] {
  const gaps: PrivilegeGap[] = [];
  if (!readsAllStats)
    gaps.push({
      missing: 'pg_read_all_stats',
      impact:
        "other roles' statement text and session state are hidden: statement, slow-query and index advice see only this role's own statements",
      grant: [`GRANT pg_monitor TO ${quoteIdent(role)};`],
      revoke: [`REVOKE pg_monitor FROM ${quoteIdent(role)};`],
    });
  if (!helper.readsAllData && !(helper.columnStats && helper.explain))
    gaps.push({
      missing: 'dbdiag helper',
      impact: `index advice cannot read column statistics of, nor plan statements on, tables role "${role}" may not read (database "${database}")`,
      grant: [grantsPipeline(role, database)],
      revoke: HELPER_REVOKE,
    });
  else if (!helper.readsAllData && (helper.version ?? 0) < HELPER_VERSION)
    gaps.push({
      missing: 'dbdiag helper (current version)',
      impact: `the dbdiag helper in database "${database}" is version ${helper.version ?? 'unknown'}, this agent expects ${HELPER_VERSION}`,
      grant: [grantsPipeline(role, database)],
      revoke: HELPER_REVOKE,
    });
  return gaps;
}

export function createPrivilegesProbe(): PgProbe {
  return {
    async run(context: PgProbeContext) {
      const at = Date.now();
      const [row] = await context.query<Row>(PRIVILEGE_FACTS_SQL);
      const helper = helperFacts(row);
      context.helperFacts?.(helper);
      const missing = privilegeGaps(context.user, context.database, row?.reads_all_stats === true, helper);
      return { status: 'ok', signals: { privileges: { at, role: context.user, missing } } };
    },
  };
}
