// DSN passwords are removed by parsing the DSN as the drivers do (WHATWG URL, as node-postgres'
// pg-connection-string and our mysql DSN parser read it), never by a pattern over the text: a
// password may hold any character (percent-encoded, as libpq and mysql2 expect; a space or an
// '@' the URL parser encodes by itself).

const HIDDEN = '***';

/** Query parameters whose values are secrets (libpq password/sslpassword, tokens, keys). */
const SECRET_PARAM = /pass|secret|token|key|credential/i;

function parse(dsn: string): URL | null {
  try {
    return new URL(dsn);
  } catch {
    return null;
  }
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The DSN as it may be shown: the password and secret parameters replaced by `***`. A DSN that
 * does not parse is not shown at all (a password's '#', '/' or '?' must be percent-encoded, and
 * where the password ends cannot be told otherwise).
 */
export function redactDsn(dsn: string): string {
  const url = parse(dsn);
  if (url === null) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(dsn)?.[0] ?? '';
    return `${scheme}(DSN not shown: not a valid URL; percent-encode special characters in the password)`;
  }
  if (url.password !== '') url.password = HIDDEN;
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, HIDDEN);
  }
  return url.toString();
}

/** The secrets a DSN holds, in every form they may be written in (as given, and decoded). */
export function dsnSecrets(dsn: string): string[] {
  const url = parse(dsn);
  if (url === null) return [];
  const raw: string[] = [];
  if (url.password !== '') raw.push(url.password);
  for (const [name, value] of url.searchParams) if (SECRET_PARAM.test(name) && value !== '') raw.push(value);
  // The text as given too: a password with a space or '@' is encoded by the URL parser.
  const given = /^[a-z][a-z0-9+.-]*:\/\/[^:]*:(.*)@[^@]*$/is.exec(dsn)?.[1];
  if (given !== undefined && given !== '') raw.push(given);
  return [...new Set(raw.flatMap((s) => [s, decode(s)]))];
}
