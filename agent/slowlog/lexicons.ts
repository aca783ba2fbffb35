import { byEngine, type EngineName } from '../engines/names.js';
import type { SqlLexicon } from './redact.js';

// How each engine's SQL quotes literals, as data the one redaction step reads (no branching on
// the engine name above agent/engines/): each engine's descriptor gives its own
// (agent/engines/<engine>/index.ts).
export const SQL_LEXICONS: Record<EngineName, SqlLexicon> = byEngine((engine) => engine.sqlLexicon);
