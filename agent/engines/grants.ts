import { byEngine, type EngineName } from './names.js';

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

/** One set-up script per engine, from the one list (list.ts). */
export const grantScripts: Record<EngineName, (options: GrantsOptions) => string> = byEngine(
  (engine) => engine.grants,
);
