// The one redaction step for SQL text that came from a server or a log (statement statistics,
// slow-log samples, EXPLAIN inputs). Two outputs:
//   - 'mask': what any surface may show (labels, API, logs, reports, CLI): every literal
//     (string, number, dollar-quoted body) is replaced by `?` and comments are dropped;
//   - 'keep': the text the agent plans with (EXPLAIN needs real values): unchanged, unless it
//     carries credentials.
// A statement that carries credentials (CREATE/ALTER ROLE|USER ... PASSWORD, IDENTIFIED BY,
// SET PASSWORD, USER MAPPING / SERVER OPTIONS, SUBSCRIPTION CONNECTION strings,
// pgp_sym_encrypt-style key arguments...) is always reduced to its shape: keywords and names
// kept, every literal `?`, comments dropped, whichever output was asked for.
// It is a lexer, not a regex: quotes, escapes, dollar quotes and comments are followed the way
// the server reads them, so a quote inside a string cannot end the masking early. A text cut
// inside a literal (servers truncate long statements) is masked to its end.

/** How an engine's SQL quotes things (see agent/slowlog/lexicons.ts). */
export interface SqlLexicon {
  /** `"..."` is a string literal (MySQL/MariaDB without ANSI_QUOTES), not an identifier */
  doubleQuotedStrings: boolean;
  /** a backslash escapes the next character inside '...' (MySQL); PostgreSQL only in E'...' */
  backslashEscapes: boolean;
  /** `$$...$$` / `$tag$...$tag$` strings (PostgreSQL) */
  dollarQuotes: boolean;
  /** `#` starts a comment to the end of the line (MySQL) */
  hashComments: boolean;
}

export type LiteralPolicy = 'mask' | 'keep';

/** What replaces a literal. */
export const MASK = '?';

type TokenKind = 'literal' | 'word' | 'comment' | 'other';

interface Token {
  kind: TokenKind;
  text: string;
}

/** Words that make a statement credential-bearing wherever they appear (upper case). */
const CREDENTIAL_WORD =
  /PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|API_?KEY|PRIVATE_?KEY|^IDENTIFIED$|^(PGP_|AES_|DES_|DBLINK)|^(ENCRYPT|DECRYPT|ENCRYPT_IV|DECRYPT_IV|HMAC|CRYPT|ENCODE|DECODE)$/;

/** Statements whose options or connection strings carry credentials, by their leading words. */
const CREDENTIAL_LEADS: readonly (readonly string[])[] = [
  ['CREATE', 'SERVER'],
  ['ALTER', 'SERVER'],
  ['CREATE', 'SUBSCRIPTION'],
  ['ALTER', 'SUBSCRIPTION'],
  ['CREATE', 'USER', 'MAPPING'],
  ['ALTER', 'USER', 'MAPPING'],
  ['IMPORT', 'FOREIGN', 'SCHEMA'],
  ['CHANGE', 'MASTER'],
  ['CHANGE', 'REPLICATION', 'SOURCE'],
];

/**
 * Every word CREDENTIAL_WORD or CREDENTIAL_LEADS can match contains one of these: a text with
 * none of them cannot carry credentials (a fast pre-check, before lexing).
 */
const MAY_CARRY_CREDENTIALS =
  /PASSW|SECRET|TOKEN|CREDENTIAL|KEY|IDENTIFIED|PGP_|AES_|DES_|DBLINK|CRYPT|HMAC|CODE|SERVER|SUBSCRIPTION|MAPPING|FOREIGN|MASTER|REPLICATION/i;

/** String prefixes glued to a quote: E'..' (escapes), B'..', X'..', N'..', U&'..', _charset'..'. */
const STRING_PREFIX = /^(?:[EeBbXxNn]|_[A-Za-z0-9]+)$/;

// Character classes by code unit, not regex: every statement text sampled passes here.
function isWordStart(c: string): boolean {
  const k = c.charCodeAt(0);
  return (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || k === 95 || k >= 0x80;
}

function isWordPart(c: string): boolean {
  const k = c.charCodeAt(0);
  return (k >= 48 && k <= 57) || k === 36 || isWordStart(c);
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Spaces and operator characters that never start a literal, comment, word or parameter. */
function isPlain(k: number): boolean {
  return (
    k === 32 || // space
    k === 9 || // tab
    k === 10 || // newline
    k === 13 ||
    k === 40 || // (
    k === 41 || // )
    k === 44 || // ,
    k === 59 || // ;
    k === 61 || // =
    k === 60 || // <
    k === 62 || // >
    k === 43 || // +
    k === 42 || // *
    k === 63 || // ?
    k === 124 || // |
    k === 37 // %
  );
}

function isHexDigit(c: string | undefined): boolean {
  return c !== undefined && (isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c === '_');
}

/** End (exclusive) of a quoted run opened at `start` by `quote`; the text's end when unterminated. */
function quotedEnd(text: string, start: number, quote: string, backslash: boolean): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (backslash && c === '\\') {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return text.length;
}

function numberEnd(text: string, start: number): number {
  let i = start;
  if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X' || text[i + 1] === 'b')) {
    i += 2;
    while (isHexDigit(text[i])) i++;
    return i;
  }
  while (isDigit(text[i]) || text[i] === '_') i++;
  if (text[i] === '.') {
    i++;
    while (isDigit(text[i])) i++;
  }
  if (
    (text[i] === 'e' || text[i] === 'E') &&
    (isDigit(text[i + 1]) || text[i + 1] === '+' || text[i + 1] === '-')
  ) {
    i += 2;
    while (isDigit(text[i])) i++;
  }
  return i;
}

export function tokenize(text: string, lexicon: SqlLexicon): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number): void => {
    tokens.push({ kind, text: text.slice(i, end) });
    i = end;
  };
  while (i < text.length) {
    const c = text[i] ?? '';
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const eol = text.indexOf('\n', i);
      push('comment', eol === -1 ? text.length : eol);
    } else if (c === '#' && lexicon.hashComments) {
      const eol = text.indexOf('\n', i);
      push('comment', eol === -1 ? text.length : eol);
    } else if (c === '/' && next === '*') {
      // PostgreSQL nests block comments; MySQL does not: ending at the first */ is the shorter
      // comment, and what follows is still lexed (and masked).
      const close = text.indexOf('*/', i + 2);
      push('comment', close === -1 ? text.length : close + 2);
    } else if (c === "'") {
      push('literal', quotedEnd(text, i, "'", lexicon.backslashEscapes));
    } else if (c === '"') {
      if (lexicon.doubleQuotedStrings) push('literal', quotedEnd(text, i, '"', lexicon.backslashEscapes));
      else push('word', quotedEnd(text, i, '"', false));
    } else if (c === '`') {
      push('word', quotedEnd(text, i, '`', false));
    } else if (c === '$' && lexicon.dollarQuotes && !isDigit(next)) {
      const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i));
      if (tag) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        push('literal', close === -1 ? text.length : close + tag[0].length);
      } else push('other', i + 1);
    } else if (c === '$' && isDigit(next)) {
      // a parameter ($1): the server's own placeholder
      let end = i + 1;
      while (isDigit(text[end])) end++;
      push('other', end);
    } else if (isDigit(c) || (c === '.' && isDigit(next))) {
      push('literal', numberEnd(text, i));
    } else if (isWordStart(c) || ((c === '@' || c === ':') && next !== undefined && isWordStart(next))) {
      let end = i + 1;
      while (end < text.length && isWordPart(text[end] ?? '')) end++;
      const word = text.slice(i, end);
      if (text[end] === "'" && STRING_PREFIX.test(word)) {
        const escapes = lexicon.backslashEscapes || word === 'E' || word === 'e';
        push('literal', quotedEnd(text, end, "'", escapes));
      } else if ((word === 'U' || word === 'u') && text[end] === '&' && text[end + 1] === "'") {
        push('literal', quotedEnd(text, end + 1, "'", false));
      } else push('word', end);
    } else if (c === '@' && next === '@') {
      push('other', i + 2);
    } else {
      // a run of spaces and operators that start nothing else: one token
      let end = i + 1;
      while (end < text.length && isPlain(text.charCodeAt(end))) end++;
      push('other', end);
    }
  }
  return tokens;
}

function startsWith(words: readonly string[], lead: readonly string[]): boolean {
  return lead.every((w, i) => words[i] === w);
}

/** Whether the statement carries a credential (and so is shown, and kept, only as its shape). */
export function carriesCredentials(tokens: readonly Token[]): boolean {
  const words: string[] = [];
  for (const t of tokens) {
    if (t.kind !== 'word') continue;
    const bare = t.text.replace(/^["`@:]+|["`]+$/g, '').toUpperCase();
    if (CREDENTIAL_WORD.test(bare)) return true;
    words.push(bare);
  }
  return CREDENTIAL_LEADS.some((lead) => startsWith(words, lead));
}

function render(tokens: readonly Token[]): string {
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'literal') out += MASK;
    else if (t.kind === 'comment') out += ' ';
    else out += t.text;
  }
  return out.replace(/[ \t]{2,}/g, ' ').trim();
}

/**
 * The one redaction step. 'mask' (the default) is what may be shown anywhere; 'keep' leaves the
 * literals of an ordinary statement (for EXPLAIN, or a person's `digest` of a log they can read).
 * Credential-bearing statements come out as their shape either way.
 */
export function redactSql(text: string, lexicon: SqlLexicon, literals: LiteralPolicy = 'mask'): string {
  // Most statements name nothing a credential check looks for: kept as they are, unlexed.
  if (literals === 'keep' && !MAY_CARRY_CREDENTIALS.test(text)) return text;
  const tokens = tokenize(text, lexicon);
  if (literals === 'keep' && !carriesCredentials(tokens)) return text;
  return render(tokens);
}

/** Masks everything quoted: server messages quote values, identifiers and SQL alike. */
const MESSAGE_LEXICON: SqlLexicon = {
  doubleQuotedStrings: true,
  backslashEscapes: false,
  dollarQuotes: false,
  hashComments: false,
};

/**
 * A server's error message about a statement the agent sent with real values (EXPLAIN of a
 * sample), as it may be logged: every quoted part and number masked ("invalid input syntax for
 * type integer: "4111..."" quotes the literal; MySQL's syntax errors quote the text near it).
 */
export function redactErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return render(tokenize(message, MESSAGE_LEXICON));
}
