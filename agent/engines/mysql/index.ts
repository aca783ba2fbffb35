import type { EngineDescriptor } from '../engine.js';
import { mysqlDialect } from './dialect.js';
import { mysqlGrants } from './grants.js';
import { mysqlPlant } from './sandbox-plant.js';

// MySQL/MariaDB as agent/engines/list.ts lists it: everything the rest of dbdiag reaches this
// engine through. Pure: the driver (mysql2) and the sandbox servers load on first use.
export const mysqlEngine: EngineDescriptor<'mysql'> = {
  name: 'mysql',
  dsnSchemes: ['mysql', 'mariadb'],
  // Where a server setting changes the quoting (ANSI_QUOTES, NO_BACKSLASH_ESCAPES), the choice
  // here is the one that masks more: "..." is taken as a string, and a backslash as an escape.
  sqlLexicon: { doubleQuotedStrings: true, backslashEscapes: true, dollarQuotes: false, hashComments: true },
  dialect: mysqlDialect,
  grants: mysqlGrants,
  runbookHeading: /MySQL|MariaDB/,
  plant: mysqlPlant,
  loadDriver: async () => (await import('./driver.js')).mysqlDriver,
  loadSandbox: async () => (await import('./sandbox-server.js')).mysqlSandbox,
};
