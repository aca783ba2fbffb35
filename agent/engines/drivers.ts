import type { EngineName } from '../snapshot/signals.js';
import type { EngineDriver } from './engine.js';
import { mysqlDriver } from './mysql/driver.js';
import { postgresDriver } from './postgres/driver.js';

/** The engines dbdiag speaks; the compiler checks that every EngineName has one. */
export const drivers = {
  postgres: postgresDriver,
  mysql: mysqlDriver,
} satisfies Record<EngineName, EngineDriver>;
