import { mysqlEngine } from './mysql/index.js';
import { postgresEngine } from './postgres/index.js';

// The engines dbdiag speaks: the ONE list. A new engine is a folder agent/engines/<name>/ whose
// index.ts exports its EngineDescriptor (what it must provide: agent/engines/engine.ts), and one
// line here. Everything else derives from this list: EngineName and the config's `engine` values
// and DSN schemes (names.ts), the drivers (drivers.ts, loaded on first use), the dialects
// (dialects.ts), `dbdiag grants` (grants.ts), the SQL lexicons of the redaction step
// (agent/slowlog/lexicons.ts) and the sandbox servers (agent/sandbox/engines.ts).
export const ENGINES = [postgresEngine, mysqlEngine] as const;
