import type { GrantsOptions } from '../grants.js';

// The account an administrator creates once for the agent:
//   dbdiag grants --engine mysql --role dbdiag --database app | mariadb -u root
//
// Why SELECT on the application schemas, and not a SQL SECURITY DEFINER procedure:
//   - MySQL and MariaDB have no "plan only" privilege: EXPLAIN demands the privileges of the
//     statement it explains (SELECT for a SELECT; UPDATE/DELETE for those: the agent plans
//     them as the equivalent SELECT instead, see explain.ts), and information_schema shows a
//     table (its row estimate, index cardinality) only to an account with a privilege on it.
//   - A stored procedure runs with its own schema as the default database and cannot USE
//     another, so a definer procedure could not plan the application's statements, which
//     name their tables without a schema.
//   A schema-level grant (`app`.*) covers tables created later. The agent reads rows only to
//   estimate distinct values of a column no index leads (a bounded sample, SAMPLE_ROWS);
//   it never writes.
//
// The account is created locked with no password: set one and unlock it yourself.

function quoteString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function quoteIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** Grants the agent needs on the whole server: what every probe reads. */
export const SERVER_GRANTS = [
  { privilege: 'PROCESS', on: '*.*', why: "every session's state (processlist), InnoDB transactions" },
  { privilege: 'REPLICATION CLIENT', on: '*.*', why: 'replication status' },
  {
    privilege: 'SELECT',
    on: 'performance_schema.*',
    why: 'statement digests, table and index I/O counters, statement samples for EXPLAIN',
  },
  {
    privilege: 'SHOW VIEW',
    on: '*.*',
    why: 'sizes, indexes and foreign keys of every table in information_schema, without reading a row',
  },
] as const;

export function mysqlGrants(options: GrantsOptions): string {
  const account = `${quoteString(options.role)}@${quoteString(options.host ?? '%')}`;
  const lines: string[] = [
    `-- dbdiag set-up for MySQL 8 / MariaDB 10.5 or later: account ${options.role}@${options.host ?? '%'}.`,
    '-- Run as an administrator (root). Safe to run again. The account is created locked with no',
    '-- password; then set one and unlock it:',
    `--   ALTER USER ${account} IDENTIFIED BY '...' ACCOUNT UNLOCK;`,
    '',
    `CREATE USER IF NOT EXISTS ${account} ACCOUNT LOCK;`,
  ];
  for (const g of SERVER_GRANTS) lines.push(`-- ${g.why}`, `GRANT ${g.privilege} ON ${g.on} TO ${account};`);
  lines.push(
    '-- replication status on a replica (SHOW REPLICA STATUS): MariaDB 10.5.9+ asks for SLAVE MONITOR,',
    '-- which REPLICATION CLIENT no longer covers there (executed by MariaDB only; MySQL skips the comment)',
    `/*M!100509 GRANT SLAVE MONITOR ON *.* TO ${account} */;`,
  );
  lines.push(
    '-- index advice: EXPLAIN of the application statements and their tables in information_schema',
    '-- (schema-level: covers tables created later); one line per application schema',
  );
  for (const schema of options.databases)
    lines.push(`GRANT SELECT ON ${quoteIdent(schema)}.* TO ${account};`);
  if (options.databases.length === 0)
    lines.push(`-- GRANT SELECT ON \`<application schema>\`.* TO ${account};  -- give --database NAME`);
  return `${lines.join('\n')}\n`;
}
