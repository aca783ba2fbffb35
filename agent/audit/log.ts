import type { JsonValue, Store, StoredRecord } from '../state/store.js';
import {
  type AuditEntry,
  type AuditRecord,
  auditId,
  type ChainVerdict,
  chainEntry,
  verifyChain,
} from './chain.js';

// The audit log in the state store: records of kind `audit`, keyed by their zero-padded
// sequence, appended (never updated) and chained by hash (chain.ts). Appends in this process
// are serialised so two of them never take the same sequence number.

/** More than any audit log holds: list and verify read the whole chain. */
const ALL = 100_000_000;

let queue: Promise<unknown> = Promise.resolve();

async function lastRecord(store: Store): Promise<AuditRecord | null> {
  // `at` never goes backwards along the chain, so the newest rows by `at` hold the last sequence
  const newest = await store.records('audit', { limit: 100 });
  let last: AuditRecord | null = null;
  for (const row of newest) {
    const record = row.payload as unknown as AuditRecord;
    if (typeof record?.seq === 'number' && (last === null || record.seq > last.seq)) last = record;
  }
  return last;
}

/** Appends one record at the end of the chain and returns it as stored. */
export function appendAudit(store: Store, entry: AuditEntry): Promise<AuditRecord> {
  const run = queue.then(async () => {
    const previous = await lastRecord(store);
    const record = chainEntry(entry, previous);
    const id = auditId(record.seq);
    if ((await store.record('audit', id)) !== null)
      throw new Error(`audit record #${record.seq} exists already: another writer appended at the same time`);
    const at = Math.max(entry.finishedAt, previous?.finishedAt ?? 0);
    await store.putRecords([
      { kind: 'audit', id, target: entry.target, at, payload: record as unknown as JsonValue },
    ]);
    return record;
  });
  queue = run.catch(() => undefined);
  return run;
}

/** Every record kept, oldest first. */
export async function auditRecords(store: Store, query: { since?: number; target?: string } = {}) {
  const rows: StoredRecord[] = await store.records('audit', { ...query, limit: ALL });
  return rows
    .map((r) => r.payload as unknown as AuditRecord)
    .filter((r) => typeof r?.seq === 'number')
    .sort((a, b) => a.seq - b.seq);
}

export async function verifyAudit(store: Store): Promise<ChainVerdict> {
  return verifyChain(await store.records('audit', { limit: ALL }));
}
