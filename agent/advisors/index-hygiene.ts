import type { IndexStat } from '../snapshot/signals.js';

/** Indexes that enforce something (primary key, unique) are never proposed for removal. */
export function enforcesConstraint(index: IndexStat): boolean {
  return index.primary || index.unique;
}

/** true when `prefix`'s key columns are a leading prefix of `of`'s, on the same table and predicate. */
export function isLeadingPrefix(prefix: IndexStat, of: IndexStat): boolean {
  if (prefix.table !== of.table || prefix.index === of.index) return false;
  if ((prefix.where ?? '') !== (of.where ?? '')) return false;
  if (prefix.columns.length === 0 || prefix.columns.length > of.columns.length) return false;
  return prefix.columns.every((c, i) => c === of.columns[i]);
}
