import type { FixAction } from '../../findings/actions.js';
import { applyWithRules } from '../apply-actions.js';
import type { EngineDialect } from '../engine.js';
import { postgresRemedies } from './remedies.js';

/** 55P03 lock_not_available: lock_timeout expired */
const LOCK_NOT_AVAILABLE = '55P03';

/** SQLSTATE of a server error: node-postgres' DatabaseError.code, or a probe error's sqlState (without loading pg here). */
function stateOf(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; sqlState?: unknown };
  return e.sqlState ?? e.code;
}

/** A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind: drop it before a retry. */
function cleanupAfterFailure(action: FixAction): FixAction[] {
  if (action.type !== 'create-index' || action.definition) return [];
  return [
    {
      type: 'drop-index',
      table: action.table,
      name: action.name,
      ifExists: true,
      lock: 'brief',
      expectedSeconds: null,
      risk: 'removes the INVALID index a failed build left',
      rollback: null,
    },
  ];
}

/** PostgreSQL as the engine-neutral code reaches it (pure: no driver is loaded by this module). */
export const postgresDialect: EngineDialect = {
  engine: 'postgres',
  remedies: postgresRemedies,
  traits: { foreignKeysIndexedByServer: false, secondaryIndexesCarryPrimaryKey: false },
  parse: async (statement) => (await import('./parse.js')).parsePostgres(statement),
  applyActions: (connection, actions, options) =>
    applyWithRules(
      {
        remedies: postgresRemedies,
        isLockTimeout: (error) => stateOf(error) === LOCK_NOT_AVAILABLE,
        cleanupAfterFailure,
      },
      connection,
      actions,
      options,
    ),
};
