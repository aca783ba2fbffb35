// Without a what-if facility (no HypoPG, not a sandbox) nothing plans the statement with the
// index, so its cost after is unknown. What can be said honestly is an ESTIMATE of the index
// scan that would replace the full scan, costed the way PostgreSQL's planner costs a btree
// equality lookup (btcostestimate / genericcostestimate), from the planner's own statistics:
// rows per key (n_distinct), the table's size, random_page_cost. It assumes the worst heap
// order (every matching row on its own page) and is labelled an estimate wherever it shows.

/** PostgreSQL's default planner cost constants (postgresql.conf); only random_page_cost is sampled. */
const CPU_TUPLE_COST = 0.01;
const CPU_INDEX_TUPLE_COST = 0.005;
const CPU_OPERATOR_COST = 0.0025;
export const DEFAULT_RANDOM_PAGE_COST = 4;
const PAGE_BYTES = 8192;
/** btree index tuple overhead (header + item pointer + alignment), bytes */
const INDEX_TUPLE_OVERHEAD = 16;
/** btree leaf pages are filled to 90% by a build */
const LEAF_FILL = 0.9;

export interface IndexScanEstimateInput {
  /** rows one lookup of the key returns (the planner's n_distinct) */
  rowsPerLookup: number;
  tableRows: number;
  /** heap size; null: estimated from the rows at 100 bytes each */
  tableBytes: number | null;
  /** summed average width of the key columns, bytes */
  keyBytes: number;
  randomPageCost: number;
}

/** Estimated planner cost of one btree index scan returning `rowsPerLookup` rows. */
export function estimateIndexScanCost(i: IndexScanEstimateInput): number {
  const rows = Math.max(1, i.rowsPerLookup);
  const tableRows = Math.max(1, i.tableRows);
  const heapPages = Math.max(1, Math.ceil((i.tableBytes ?? tableRows * 100) / PAGE_BYTES));
  const perLeaf = Math.max(2, Math.floor((PAGE_BYTES * LEAF_FILL) / (i.keyBytes + INDEX_TUPLE_OVERHEAD)));
  const leafPages = Math.ceil(rows / perLeaf);
  const height = Math.max(1, Math.ceil(Math.log(Math.max(2, tableRows / perLeaf)) / Math.log(perLeaf)));
  // descending the tree: comparisons, and 50 operator costs per page touched (btcostestimate)
  const descent = (Math.ceil(Math.log2(Math.max(2, tableRows))) + (height + 1) * 50) * CPU_OPERATOR_COST;
  // uncorrelated heap: each matching row costs a random page read, never more than the table
  const io = i.randomPageCost * (Math.min(rows, heapPages) + leafPages);
  const cpu = rows * (CPU_TUPLE_COST + CPU_INDEX_TUPLE_COST + CPU_OPERATOR_COST);
  return descent + io + cpu;
}
