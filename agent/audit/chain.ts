import { createHash } from 'node:crypto';
import type { JsonValue, StoredRecord } from '../state/store.js';

// The audit log's records and their hash chain (issue #15 item 5). Each record carries the
// hash of the one before it, and its own hash covers that and every field of the record in a
// canonical JSON form, so an edited record no longer matches its hash and a deleted one leaves
// a gap in the sequence and a broken link. Pure: no I/O here (log.ts reads and writes the store).

export type AuditAction = 'apply' | 'apply-refused' | 'revert' | 'verify' | 'drill' | 'config-change';

/** What happened, as the caller describes it (the chain fields are added when it is appended). */
export interface AuditEntry {
  action: AuditAction;
  /** the user or token name; for the agent itself, `agent` */
  who: string;
  target: string | null;
  /** the finding's id, when the action concerns one */
  finding: string | null;
  /** the statements run, as sent to the server */
  statements: string[];
  /** ok, failed, refused, verified, reverted, no-effect ... */
  result: string;
  /** one line: why (a refusal's reason, an error's message) */
  detail: string | null;
  /** epoch ms */
  startedAt: number;
  finishedAt: number;
  /** the verification's measurements, when there was one */
  verification: JsonValue | null;
  /** anything else the action records (a config change's changed keys) */
  data: JsonValue | null;
}

export interface AuditRecord extends AuditEntry {
  /** 1, 2, 3 ... in append order */
  seq: number;
  /** the previous record's hash; '' for the first record */
  prevHash: string;
  /** sha256 hex over prevHash + canonical JSON of every other field */
  hash: string;
}

/** JSON with object keys sorted at every level: one text per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function recordHash(record: Omit<AuditRecord, 'hash'>): string {
  const { prevHash, ...rest } = record;
  return createHash('sha256').update(prevHash).update(canonicalJson(rest)).digest('hex');
}

/** The next record of the chain after `previous` (null: the chain's first record). */
export function chainEntry(entry: AuditEntry, previous: AuditRecord | null): AuditRecord {
  const unsigned = { ...entry, seq: (previous?.seq ?? 0) + 1, prevHash: previous?.hash ?? '' };
  return { ...unsigned, hash: recordHash(unsigned) };
}

/** Store ids sort as text: the sequence zero-padded. */
export const auditId = (seq: number): string => String(seq).padStart(12, '0');

export interface ChainProblem {
  seq: number;
  problem: string;
}

export interface ChainVerdict {
  ok: boolean;
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** records before the first one kept (removed by retention): their links cannot be checked */
  prunedBefore: number;
  problems: ChainProblem[];
}

/**
 * Checks a chain read back from the store: every record's hash, the id it is stored under,
 * the link to the one before and that no sequence number is missing. Records pruned by
 * retention are the oldest ones, so a chain may start past 1; nothing after that may be missing.
 */
export function verifyChain(stored: readonly StoredRecord[]): ChainVerdict {
  const problems: ChainProblem[] = [];
  const chain = stored
    .map((r) => ({ stored: r, record: r.payload as unknown as AuditRecord }))
    .sort((a, b) => (a.stored.id < b.stored.id ? -1 : a.stored.id > b.stored.id ? 1 : 0));
  let previous: AuditRecord | null = null;
  for (const { stored: row, record } of chain) {
    const seq = typeof record?.seq === 'number' ? record.seq : Number(row.id);
    if (typeof record !== 'object' || record === null || typeof record.hash !== 'string') {
      problems.push({ seq, problem: 'not an audit record (no hash)' });
      previous = null;
      continue;
    }
    if (row.id !== auditId(record.seq))
      problems.push({ seq, problem: `stored under id ${row.id}, its sequence says ${record.seq}` });
    const { hash, ...unsigned } = record;
    if (recordHash(unsigned) !== hash)
      problems.push({ seq, problem: 'edited: its content no longer matches its hash' });
    if (previous !== null) {
      if (record.seq !== previous.seq + 1) {
        const missing = record.seq - previous.seq - 1;
        problems.push({
          seq,
          problem:
            missing > 0
              ? `deleted: ${missing} record(s) missing before it (#${previous.seq + 1}${missing > 1 ? `..#${record.seq - 1}` : ''})`
              : `out of order after #${previous.seq}`,
        });
      } else if (record.prevHash !== previous.hash) {
        problems.push({ seq, problem: `broken link: its previous hash is not #${previous.seq}'s hash` });
      }
    } else if (record.seq === 1 && record.prevHash !== '') {
      problems.push({ seq, problem: 'the first record names a previous hash' });
    }
    previous = record;
  }
  const first = chain[0]?.stored.payload as unknown as AuditRecord | undefined;
  const last = chain.at(-1)?.stored.payload as unknown as AuditRecord | undefined;
  return {
    ok: problems.length === 0,
    records: chain.length,
    firstSeq: first?.seq ?? null,
    lastSeq: last?.seq ?? null,
    prunedBefore: first ? Math.max(0, (first.seq ?? 1) - 1) : 0,
    problems,
  };
}
