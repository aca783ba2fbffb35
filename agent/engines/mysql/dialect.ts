import { applyWithRules } from '../apply-actions.js';
import type { EngineDialect } from '../engine.js';
import { mysqlRemedies } from './remedies.js';

/** ER_LOCK_WAIT_TIMEOUT: lock_wait_timeout / innodb_lock_wait_timeout expired */
const LOCK_WAIT_TIMEOUT = 1205;

function errnoOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { errno?: unknown }).errno : undefined;
}

/** MySQL/MariaDB as the engine-neutral code reaches it (pure: no driver is loaded by this module). */
export const mysqlDialect: EngineDialect = {
  engine: 'mysql',
  remedies: mysqlRemedies,
  traits: { foreignKeysIndexedByServer: true, secondaryIndexesCarryPrimaryKey: true },
  parse: async (statement) => (await import('./parse.js')).parseMysql(statement),
  applyActions: (connection, actions, options) =>
    applyWithRules(
      {
        remedies: mysqlRemedies,
        isLockTimeout: (error) => errnoOf(error) === LOCK_WAIT_TIMEOUT,
        // a failed online ALTER TABLE is rolled back by the server: nothing is left behind
        cleanupAfterFailure: () => [],
      },
      connection,
      actions,
      options,
    ),
};
