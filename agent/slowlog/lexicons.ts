import type { EngineName } from '../snapshot/signals.js';
import type { SqlLexicon } from './redact.js';

// How each engine's SQL quotes literals, as data the one redaction step reads (no branching on
// the engine name above agent/engines/). Where a server setting changes it (ANSI_QUOTES,
// NO_BACKSLASH_ESCAPES, standard_conforming_strings=off), the choice here is the one that masks
// more: a MySQL "..." is taken as a string, and a backslash as an escape.
export const SQL_LEXICONS = {
  postgres: { doubleQuotedStrings: false, backslashEscapes: false, dollarQuotes: true, hashComments: false },
  mysql: { doubleQuotedStrings: true, backslashEscapes: true, dollarQuotes: false, hashComments: true },
} as const satisfies Record<EngineName, SqlLexicon>;
