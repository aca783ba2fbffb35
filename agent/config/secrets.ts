import { dsnSecrets } from './dsn-secrets.js';

// The secrets this process holds (DSN passwords). Every log line is scrubbed of them on its
// way out (agent/log.ts), so that a driver message, an error's cause or a stack can never
// carry one to the log, whatever path it took.

/** Shorter secrets are not scrubbed: replacing every "ab" would garble the logs (README, Redaction). */
export const MIN_SCRUBBED_LENGTH = 4;

/** longest first, so a secret that contains another is replaced whole */
let known: string[] = [];

/** Remembers the secrets of a DSN (called where a target's DSN is resolved). */
export function rememberDsnSecrets(dsn: string | null): void {
  if (dsn === null) return;
  const forms = new Set(known);
  for (const secret of dsnSecrets(dsn)) {
    if (secret.length < MIN_SCRUBBED_LENGTH) continue;
    forms.add(secret);
    // as it appears inside a JSON string (a log line) when it holds a quote or a backslash
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(encodeURIComponent(secret));
  }
  known = [...forms].sort((a, b) => b.length - a.length);
}

/** The text with every known secret replaced by `***`. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join('***');
  return out;
}
