import type { PrivilegeGap } from '../../snapshot/signals.js';
import type { Row } from './connection.js';

// The account's own grants, read from information_schema (USER_PRIVILEGES: global,
// SCHEMA_PRIVILEGES: per schema), which every account may read for itself: knowing what is
// missing never costs a "command denied". Grants received through a role are not seen here;
// an account that gets its privileges only from roles may be told a grant is missing.

/** The account as GRANTEE spells it: 'user'@'host'. */
const GRANTEE = `CONCAT('''', LEFT(CURRENT_USER(), CHAR_LENGTH(CURRENT_USER()) - CHAR_LENGTH(SUBSTRING_INDEX(CURRENT_USER(), '@', -1)) - 1),
  '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`;

export const OWN_GRANTS_SQL = `/* dbdiag:privileges */ SELECT dbdiag_me.grantee AS grantee, dbdiag_u.PRIVILEGE_TYPE AS privilege, NULL AS schema_name
FROM (SELECT ${GRANTEE} AS grantee) AS dbdiag_me
JOIN information_schema.USER_PRIVILEGES AS dbdiag_u ON dbdiag_u.GRANTEE = dbdiag_me.grantee
UNION ALL
SELECT dbdiag_me.grantee, dbdiag_s.PRIVILEGE_TYPE, dbdiag_s.TABLE_SCHEMA
FROM (SELECT ${GRANTEE} AS grantee) AS dbdiag_me
JOIN information_schema.SCHEMA_PRIVILEGES AS dbdiag_s ON dbdiag_s.GRANTEE = dbdiag_me.grantee`;

/** The account itself, for the GRANT statements a finding proposes. */
export const ACCOUNT_SQL = `/* dbdiag:privileges */ SELECT ${GRANTEE} AS dbdiag_account`;

/** Schemas the server's statements ran in (performance_schema digests), system schemas left out. */
export const STATEMENT_SCHEMAS_SQL = `/* dbdiag:privileges */ SELECT DISTINCT dbdiag_d.SCHEMA_NAME AS schema_name
FROM performance_schema.events_statements_summary_by_digest AS dbdiag_d
WHERE dbdiag_d.SCHEMA_NAME IS NOT NULL
  AND dbdiag_d.SCHEMA_NAME NOT IN ('mysql', 'performance_schema', 'information_schema', 'sys')`;

export interface OwnGrants {
  /** 'user'@'host' */
  account: string;
  global: Set<string>;
  /** schema pattern (LIKE syntax, as SCHEMA_PRIVILEGES shows it) -> privileges */
  schemas: Map<string, Set<string>>;
}

export function ownGrants(account: string, rows: readonly Row[]): OwnGrants {
  const grants: OwnGrants = { account, global: new Set(), schemas: new Map() };
  for (const r of rows) {
    const privilege = String(r.privilege ?? '').toUpperCase();
    const schema = r.schema_name;
    if (schema === null || schema === undefined) grants.global.add(privilege);
    else {
      const set = grants.schemas.get(String(schema)) ?? new Set<string>();
      set.add(privilege);
      grants.schemas.set(String(schema), set);
    }
  }
  return grants;
}

/** A schema-level grant's name is a LIKE pattern (`app\_%`): does it cover `schema`? */
export function schemaPatternMatches(pattern: string, schema: string): boolean {
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '\\' && i + 1 < pattern.length)
      source += (pattern[++i] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '%') source += '.*';
    else if (c === '_') source += '.';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${source}$`, 'i').test(schema);
}

/** Does the account hold `privilege` on every table of `schema` (globally or for the schema)? */
export function holds(grants: OwnGrants, privilege: string, schema: string | null): boolean {
  if (grants.global.has(privilege)) return true;
  if (schema === null) return false;
  for (const [pattern, set] of grants.schemas)
    if (set.has(privilege) && schemaPatternMatches(pattern, schema)) return true;
  return false;
}

/** Quoted when it is not a plain identifier, as people write grants. */
function quoteIdent(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) ? name : `\`${name.replaceAll('`', '``')}\``;
}

export function privilegeGaps(grants: OwnGrants, statementSchemas: readonly string[]): PrivilegeGap[] {
  const to = `TO ${grants.account};`;
  const from = `FROM ${grants.account};`;
  const gaps: PrivilegeGap[] = [];
  if (!holds(grants, 'PROCESS', null))
    gaps.push({
      missing: 'PROCESS',
      impact:
        "other accounts' sessions are hidden: connection states, idle-in-transaction and long transactions cover only this account",
      grant: [`GRANT PROCESS ON *.* ${to}`],
      revoke: [`REVOKE PROCESS ON *.* ${from}`],
    });
  if (!holds(grants, 'SELECT', 'performance_schema'))
    gaps.push({
      missing: 'SELECT ON performance_schema.*',
      impact: 'no statement digests, table I/O counters or statement samples: no statement or index advice',
      grant: [`GRANT SELECT ON performance_schema.* ${to}`],
      revoke: [`REVOKE SELECT ON performance_schema.* ${from}`],
    });
  for (const schema of statementSchemas) {
    if (holds(grants, 'SELECT', schema)) continue;
    gaps.push({
      missing: `SELECT ON ${quoteIdent(schema)}.*`,
      impact: `index advice cannot EXPLAIN the statements run in ${quoteIdent(schema)} nor see its tables and indexes`,
      grant: [`GRANT SELECT ON ${quoteIdent(schema)}.* ${to}`],
      revoke: [`REVOKE SELECT ON ${quoteIdent(schema)}.* ${from}`],
    });
  }
  return gaps;
}

/**
 * The GRANT a probe needs and the account lacks, or null (also null while the grants are not
 * known yet: then the probe runs and its error, if any, is reported as before).
 */
export function lacking(
  grants: OwnGrants | undefined,
  privilege: string,
  schema: string | null,
): string | null {
  if (grants === undefined || holds(grants, privilege, schema)) return null;
  return `GRANT ${privilege} ON ${schema === null ? '*.*' : `${quoteIdent(schema)}.*`} TO ${grants.account};`;
}

/**
 * Thrown by a probe that cannot read anything without a grant the account lacks: the session
 * reports it as the probe's permission-denied error, without the statement ever reaching the
 * server (so the server records no error, and the probe is honestly not "ok").
 */
export class GrantMissing extends Error {
  constructor(
    readonly grant: string,
    what: string,
  ) {
    super(`the account may not read ${what} — ${grant} (checked from its grants; not tried)`);
    this.name = 'GrantMissing';
  }
}
