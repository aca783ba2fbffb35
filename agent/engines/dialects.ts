import type { EngineName } from '../snapshot/signals.js';
import type { EngineDialect } from './engine.js';
import { mysqlDialect } from './mysql/dialect.js';
import { postgresDialect } from './postgres/dialect.js';

/** The engines' pure sides (remedies, executor); the compiler checks that every EngineName has one. */
export const dialects = {
  postgres: postgresDialect,
  mysql: mysqlDialect,
} satisfies Record<EngineName, EngineDialect>;

export function dialectOf(engine: EngineName): EngineDialect {
  return dialects[engine];
}
