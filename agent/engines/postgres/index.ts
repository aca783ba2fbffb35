import type { EngineDescriptor } from '../engine.js';
import { postgresDialect } from './dialect.js';
import { postgresGrants } from './grants.js';
import { postgresPlant } from './sandbox-plant.js';

// PostgreSQL as agent/engines/list.ts lists it: everything the rest of dbdiag reaches this
// engine through. Pure: the driver (pg) and the sandbox servers load on first use.
export const postgresEngine: EngineDescriptor<'postgres'> = {
  name: 'postgres',
  dsnSchemes: ['postgres', 'postgresql'],
  // standard_conforming_strings=on; E'...' escapes are lexed as such whatever this says
  sqlLexicon: {
    doubleQuotedStrings: false,
    backslashEscapes: false,
    dollarQuotes: true,
    hashComments: false,
  },
  dialect: postgresDialect,
  grants: postgresGrants,
  runbookHeading: /PostgreSQL/,
  plant: postgresPlant,
  loadDriver: async () => (await import('./driver.js')).postgresDriver,
  loadSandbox: async () => (await import('./sandbox-server.js')).postgresSandbox,
};
