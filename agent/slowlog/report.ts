import type { ClassStats, DigestState } from './digest.js';
import { SQL_LEXICONS } from './lexicons.js';
import type { InputReport } from './read.js';
import { redactSql } from './redact.js';

// The digest as a person reads it (a profile table ranked by total time, then one block per
// class, like pt-query-digest) and as one JSON object for tools.

export interface ClassJson {
  id: string;
  fingerprint: string;
  count: number;
  totalSeconds: number;
  meanSeconds: number;
  maxSeconds: number;
  minSeconds: number;
  p50Seconds: number;
  p95Seconds: number;
  p99Seconds: number;
  lockSeconds: number;
  rowsSent: number | null;
  rowsExamined: number | null;
  /** rows examined per row sent; high means the statement reads far more than it returns */
  examinedPerSent: number | null;
  firstSeen: string | null;
  lastSeen: string | null;
  databases: string[];
  users: string[];
  hosts: string[];
  sample: string | null;
  sampleSeconds: number | null;
  sampleDatabase: string | null;
}

export interface DigestJson {
  inputs: InputReport[];
  events: number;
  filtered: number;
  /** statements not valid UTF-8, decoded as Latin-1 */
  latin1Statements: number;
  totalSeconds: number;
  classes: ClassJson[];
  skipped: DigestState['skipped'];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const round = (n: number) => Math.round(n * 1e6) / 1e6;

/**
 * A person runs `digest` on a log they can read: samples keep their literals, as in
 * pt-query-digest, but a statement that carries credentials is shown only as its shape (the
 * fingerprint already has every literal masked).
 */
/**
 * A quantile of the class: the sketch's bucket midpoint (within 2%), kept inside the observed
 * min..max so that a p50 is never reported above the max (a bucket's midpoint can lie above
 * the largest value that fell in it).
 */
function quantileOf(s: ClassStats, q: number): number {
  if (s.count === 0) return 0;
  return Math.min(s.maxSeconds, Math.max(s.minSeconds, s.sketch.quantile(q)));
}

export function classJson(s: ClassStats): ClassJson {
  const lexicon = SQL_LEXICONS[s.dialect];
  return {
    id: s.id,
    fingerprint: redactSql(s.fingerprint, lexicon, 'keep'),
    count: s.count,
    totalSeconds: round(s.totalSeconds),
    meanSeconds: s.count === 0 ? 0 : round(s.totalSeconds / s.count),
    maxSeconds: round(s.maxSeconds),
    minSeconds: s.count === 0 ? 0 : round(s.minSeconds),
    p50Seconds: round(quantileOf(s, 0.5)),
    p95Seconds: round(quantileOf(s, 0.95)),
    p99Seconds: round(quantileOf(s, 0.99)),
    lockSeconds: round(s.lockSeconds),
    rowsSent: s.hasRows ? s.rowsSent : null,
    rowsExamined: s.hasRows ? s.rowsExamined : null,
    examinedPerSent: s.hasRows ? Math.round((s.rowsExamined / Math.max(1, s.rowsSent)) * 100) / 100 : null,
    firstSeen: iso(s.firstSeenAt),
    lastSeen: iso(s.lastSeenAt),
    databases: s.databases,
    users: s.users,
    hosts: s.hosts,
    sample: s.sample === null ? null : redactSql(s.sample, lexicon, 'keep'),
    sampleSeconds: s.sampleSeconds < 0 ? null : round(s.sampleSeconds),
    sampleDatabase: s.sampleDatabase,
  };
}

/** `limit`: only the first (costliest) classes are converted, e.g. the --top a text report shows. */
export function digestJson(state: DigestState, inputs: InputReport[], limit?: number): DigestJson {
  let total = 0;
  for (const c of state.classes) total += c.totalSeconds;
  return {
    inputs,
    events: state.events,
    filtered: state.filtered,
    latin1Statements: state.latin1,
    totalSeconds: round(total),
    classes: (limit === undefined ? state.classes : state.classes.slice(0, limit)).map(classJson),
    skipped: state.skipped,
  };
}

function fmtSeconds(s: number): string {
  if (s >= 100) return `${s.toFixed(0)}s`;
  if (s >= 1) return `${s.toFixed(2)}s`;
  if (s >= 0.001) return `${(s * 1000).toFixed(1)}ms`;
  return `${(s * 1e6).toFixed(0)}us`;
}

function pad(text: string, width: number, right = false): string {
  if (text.length >= width) return text;
  return right ? text.padStart(width) : text.padEnd(width);
}

function truncate(text: string, width: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length <= width ? one : `${one.slice(0, width - 1)}…`;
}

/** `classCount`: the digest's classes when `json` holds only the first of them (digestJson's limit). */
export function renderText(json: DigestJson, top: number, classCount = json.classes.length): string {
  const out: string[] = [];
  const shown = json.classes.slice(0, top);
  out.push(
    `# ${json.events} statements in ${classCount} classes, ${fmtSeconds(json.totalSeconds)} in total` +
      (json.filtered > 0 ? `, ${json.filtered} outside --since/--until` : ''),
  );
  if (json.latin1Statements > 0) {
    out.push(`# ${json.latin1Statements} statements were not valid UTF-8: read as Latin-1`);
  }
  for (const input of json.inputs) {
    out.push(
      `# ${input.path}: ${input.format}${input.prefix !== null ? ` (log_line_prefix '${input.prefix}')` : ''}`,
    );
  }
  out.push('');
  out.push('# Profile');
  out.push(
    `# ${pad('Rank', 4, true)} ${pad('Query ID', 16)} ${pad('Response time', 18, true)} ${pad('Calls', 8, true)} ${pad('R/Call', 9, true)} ${pad('p95', 9, true)}  Item`,
  );
  shown.forEach((c, i) => {
    const share = json.totalSeconds > 0 ? (100 * c.totalSeconds) / json.totalSeconds : 0;
    out.push(
      `# ${pad(String(i + 1), 4, true)} ${pad(c.id, 16)} ${pad(`${fmtSeconds(c.totalSeconds)} ${share.toFixed(1)}%`, 18, true)} ${pad(String(c.count), 8, true)} ${pad(fmtSeconds(c.meanSeconds), 9, true)} ${pad(fmtSeconds(c.p95Seconds), 9, true)}  ${truncate(c.fingerprint, 60)}`,
    );
  });
  if (classCount > shown.length) out.push(`# ... ${classCount - shown.length} more classes (--top, --json)`);
  shown.forEach((c, i) => {
    out.push('');
    out.push(`# Query ${i + 1}: id ${c.id}, ${c.count} calls, ${fmtSeconds(c.totalSeconds)} total`);
    out.push(
      `#   time   mean ${fmtSeconds(c.meanSeconds)}  p50 ${fmtSeconds(c.p50Seconds)}  p95 ${fmtSeconds(c.p95Seconds)}  p99 ${fmtSeconds(c.p99Seconds)}  max ${fmtSeconds(c.maxSeconds)}  lock ${fmtSeconds(c.lockSeconds)}`,
    );
    if (c.rowsExamined !== null) {
      out.push(
        `#   rows   sent ${c.rowsSent}  examined ${c.rowsExamined}  examined/sent ${c.examinedPerSent}`,
      );
    }
    if (c.firstSeen !== null) out.push(`#   seen   ${c.firstSeen} .. ${c.lastSeen}`);
    if (c.databases.length > 0) out.push(`#   databases ${c.databases.join(', ')}`);
    if (c.users.length > 0) out.push(`#   users     ${c.users.join(', ')}`);
    if (c.hosts.length > 0) out.push(`#   hosts     ${c.hosts.join(', ')}`);
    out.push(`#   fingerprint: ${truncate(c.fingerprint, 2000)}`);
    if (c.sample !== null)
      out.push(
        `#   worst sample (${fmtSeconds(c.sampleSeconds ?? 0)}):`,
        c.sample.length > 4000 ? `${c.sample.slice(0, 4000)}…` : c.sample,
      );
  });
  const sk = json.skipped;
  if (sk.lines > 0) {
    out.push('');
    out.push(`# ${sk.lines} lines skipped`);
    for (const [reason, n] of Object.entries(sk.reasons)) out.push(`#   ${n} ${reason}`);
    for (const e of sk.examples) out.push(`#   e.g. at byte ${e.offset}: ${e.reason}`);
  }
  return `${out.join('\n')}\n`;
}
