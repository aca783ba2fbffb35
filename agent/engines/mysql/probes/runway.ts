import type { CounterStat, RunwaySignals } from '../../../snapshot/signals.js';
import type { ProbeOutcome } from '../../engine.js';
import type { Row as ConnRow } from '../connection.js';
import { num, type ProbeContext } from '../context.js';

// AUTO_INCREMENT columns closest to their type's maximum. information_schema.TABLES gives the
// next value a table will hand out (AUTO_INCREMENT), information_schema.COLUMNS the column and
// its type; the account sees the tables it has any privilege on (the SELECT the tables probe
// needs). information_schema.TABLES opens tables: the probe runs on the settings schedule.
// MySQL/MariaDB have no transaction-ID wraparound; MariaDB SEQUENCE objects are not read yet.

const SYSTEM_SCHEMAS = `('mysql', 'performance_schema', 'information_schema', 'sys')`;

export const AUTO_INCREMENT_SQL = `/* dbdiag:runway */ SELECT dbdiag_t.TABLE_SCHEMA AS table_schema, dbdiag_t.TABLE_NAME AS table_name,
  dbdiag_c.COLUMN_NAME AS column_name, dbdiag_c.DATA_TYPE AS data_type, dbdiag_c.COLUMN_TYPE AS column_type,
  dbdiag_t.AUTO_INCREMENT AS next_value
FROM information_schema.TABLES AS dbdiag_t
JOIN information_schema.COLUMNS AS dbdiag_c ON dbdiag_c.TABLE_SCHEMA = dbdiag_t.TABLE_SCHEMA
  AND dbdiag_c.TABLE_NAME = dbdiag_t.TABLE_NAME AND dbdiag_c.EXTRA LIKE '%auto_increment%'
WHERE dbdiag_t.AUTO_INCREMENT IS NOT NULL AND dbdiag_t.TABLE_SCHEMA NOT IN ${SYSTEM_SCHEMAS}`;

/** The largest value of each integer type, signed and unsigned. */
export const INTEGER_MAX: Record<string, { signed: number; unsigned: number }> = {
  tinyint: { signed: 127, unsigned: 255 },
  smallint: { signed: 32_767, unsigned: 65_535 },
  mediumint: { signed: 8_388_607, unsigned: 16_777_215 },
  int: { signed: 2_147_483_647, unsigned: 4_294_967_295 },
  // 2^63 - 1 and 2^64 - 1 as doubles: a used fraction needs no more precision
  bigint: { signed: 2 ** 63, unsigned: 2 ** 64 },
};

interface Row extends ConnRow {
  table_schema: string;
  table_name: string;
  column_name: string;
  data_type: string;
  column_type: string;
  next_value: string | number | null;
}

export function autoIncrementCounters(rows: readonly Row[], top: number): CounterStat[] {
  const counters: CounterStat[] = [];
  for (const r of rows) {
    const limits = INTEGER_MAX[String(r.data_type).toLowerCase()];
    if (!limits) continue;
    const max = /unsigned/i.test(String(r.column_type)) ? limits.unsigned : limits.signed;
    const name = `${r.table_schema}.${r.table_name}.${r.column_name}`;
    // AUTO_INCREMENT is the next value: the last one handed out is one less
    counters.push({ name, column: name, value: Math.max(0, num(r.next_value) - 1), max });
  }
  counters.sort((a, b) => b.value / b.max - a.value / a.max || a.name.localeCompare(b.name));
  return counters.slice(0, top);
}

export async function sampleRunway(ctx: ProbeContext): Promise<ProbeOutcome> {
  const at = ctx.now();
  const rows = await ctx.query<Row>(AUTO_INCREMENT_SQL);
  const runway: RunwaySignals = {
    at,
    transactionIds: null,
    counters: autoIncrementCounters(rows, ctx.limits.topTables),
    hidden: 0,
  };
  return { status: 'ok', signals: { runway } };
}
