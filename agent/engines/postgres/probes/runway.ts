import type { CounterStat, RunwaySignals } from '../../../snapshot/signals.js';
import { num, type PgProbe, type PgProbeContext, unsupported } from '../probe.js';
import { sqlForVersion, type VersionedSql, versionLabel } from '../sql-version.js';

// What runs out with use. Transaction IDs: age(datfrozenxid) of the oldest database against
// the age at which the server stops assigning new ones, and the next transaction ID read from
// a snapshot (pg_current_snapshot assigns none), whose growth over time is the consumption
// rate. Sequences: pg_sequences shows last_value only to a role with USAGE or SELECT on the
// sequence (pg_monitor does not give it; pg_read_all_data on 14+ does): the others are counted
// as hidden and the probe says which GRANT shows them. A sequence that feeds a column (serial,
// identity) stops at the smaller of its own maximum and the column type's.

/** PostgreSQL stops assigning transaction IDs 3 million before wraparound (2^31): xidStopLimit (14+; 1 million before). */
export const XID_STOP_AGE = 2 ** 31 - 3_000_000;

export const XID_SQL: VersionedSql = {
  130000: `/* dbdiag:runway */ SELECT datname, age(datfrozenxid)::float8 AS age,
  pg_snapshot_xmax(pg_current_snapshot())::text AS next_xid
FROM pg_database WHERE datallowconn ORDER BY age(datfrozenxid) DESC LIMIT 1`,
};

// Ascending sequences only; the used fraction ranks them (last_value is NULL when hidden or never called).
export const SEQUENCES_SQL: VersionedSql = {
  130000: `/* dbdiag:runway */ SELECT s.schemaname || '.' || s.sequencename AS name,
  s.last_value::text AS last_value, s.max_value::text AS max_value,
  has_sequence_privilege(c.oid, 'SELECT,USAGE') AS readable,
  CASE WHEN a.attname IS NULL THEN NULL ELSE tn.nspname || '.' || tc.relname || '.' || a.attname END AS column_name,
  t.typname AS column_type
FROM pg_sequences s
JOIN pg_namespace n ON n.nspname = s.schemaname
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
LEFT JOIN pg_class tc ON tc.oid = d.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
LEFT JOIN pg_type t ON t.oid = a.atttypid
WHERE s.increment_by > 0`,
};

/** The largest value of the integer column types a sequence can feed. */
export const COLUMN_TYPE_MAX: Record<string, number> = {
  int2: 32_767,
  int4: 2_147_483_647,
  int8: 2 ** 63, // 2^63 - 1 as a double
};

interface XidRow {
  datname: string;
  age: number | null;
  next_xid: string | null;
}

interface SequenceRow {
  name: string;
  last_value: string | null;
  max_value: string;
  readable: boolean;
  column_name: string | null;
  column_type: string | null;
}

/** The counters closest to their maximum, and how many the role could not read. */
export function rankCounters(
  rows: readonly SequenceRow[],
  top: number,
): { counters: CounterStat[]; hidden: number } {
  let hidden = 0;
  const counters: CounterStat[] = [];
  for (const r of rows) {
    if (!r.readable) {
      hidden += 1;
      continue;
    }
    if (r.last_value === null) continue; // never called
    const typeMax = r.column_type ? COLUMN_TYPE_MAX[r.column_type] : undefined;
    const max = Math.min(Number(r.max_value), typeMax ?? Number.POSITIVE_INFINITY);
    counters.push({ name: r.name, column: r.column_name, value: Number(r.last_value), max });
  }
  counters.sort((a, b) => b.value / b.max - a.value / a.max || a.name.localeCompare(b.name));
  return { counters: counters.slice(0, top), hidden };
}

export function createRunwayProbe(): PgProbe {
  return {
    async run(context: PgProbeContext) {
      const xidSql = sqlForVersion(XID_SQL, context.versionNum);
      const sequencesSql = sqlForVersion(SEQUENCES_SQL, context.versionNum);
      if (xidSql === null || sequencesSql === null)
        return unsupported(`PostgreSQL ${versionLabel(context.versionNum)} is older than 13`);
      const at = Date.now();
      const [xid] = await context.query<XidRow>(xidSql);
      const { counters, hidden } = rankCounters(
        await context.query<SequenceRow>(sequencesSql),
        context.limits.topTables,
      );
      const runway: RunwaySignals = {
        at,
        transactionIds:
          xid && xid.age !== null && xid.next_xid !== null
            ? { age: num(xid.age), database: xid.datname, limit: XID_STOP_AGE, next: Number(xid.next_xid) }
            : null,
        counters,
        hidden,
      };
      return hidden > 0
        ? {
            status: 'ok',
            signals: { runway },
            partial: `${hidden} sequence(s) of database ${context.database} hidden from role ${context.user}: GRANT SELECT ON ALL SEQUENCES IN SCHEMA <schema> TO ${context.user} (or GRANT pg_read_all_data on 14+)`,
          }
        : { status: 'ok', signals: { runway } };
    },
  };
}
