import type { EngineName } from '../snapshot/signals.js';
import { mysqlGrants } from './mysql/grants.js';
import { postgresGrants } from './postgres/grants.js';

// What `dbdiag grants` prints: the SQL an administrator runs once to create the monitoring
// role, its grants and the engine's helper. Pure text, so the command loads no driver.

export interface GrantsOptions {
  /** the monitoring role / account to create */
  role: string;
  /**
   * PostgreSQL: the databases to install the helper in (a `\connect` line each; none: the one
   * psql is connected to); MySQL: the application schemas to grant SELECT on
   */
  databases: readonly string[];
  /** MySQL: the host part of the account ('%' when not given) */
  host?: string;
}

/** One set-up script per engine; the compiler checks every EngineName has one. */
export const grantScripts = {
  postgres: postgresGrants,
  mysql: mysqlGrants,
} satisfies Record<EngineName, (options: GrantsOptions) => string>;
