import type { ExistingIndex, TableFacts } from '../engines/engine.js';
import { baseColumn, type Candidate, candidateKey, rowsPerKey } from '../evidence/candidates.js';
import { sumCost, type Verification, type VerifiedCandidate } from '../evidence/verify.js';
import { createIndexAction, dropIndexAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import {
  type AdvisorInput,
  formatBytes,
  makeFinding,
  renderActions,
  rollbackText,
  round,
  traits,
} from './context.js';
import { indexProposal } from './index-proposal.js';
import { DEFAULT_RANDOM_PAGE_COST, estimateIndexScanCost } from './index-scan-estimate.js';

// The decision, pure: a candidate becomes a finding when it is proven — with HypoPG, the
// targeted statements' plan cost falls by at least indexMinCostReduction with the
// hypothetical index in use; without it, the current plan reads the table in full (EXPLAIN
// evidence). The fix is the online DDL with its machine-readable form.

/** The online build waits at most this long for its lock, so nothing queues behind it. */
const INDEX_LOCK_TIMEOUT_SECONDS = 5;

export type { VerifiedCandidate };

function bare(name: string): string {
  return name.split('.').at(-1)?.replace(/[`"]/g, '').toLowerCase() ?? name;
}

function accessMatches(candidate: Candidate, accessTable: string, table: string = candidate.table): boolean {
  const target = bare(table);
  if (bare(accessTable) === target) return true;
  return candidate.statements.some((s) => {
    const named = s.shape.aliases[accessTable];
    return named !== undefined && bare(named) === target;
  });
}

export function indexName(table: string, columns: readonly string[]): string {
  const cols = columns.map((c) => baseColumn(c).replace(/[^A-Za-z0-9_]/g, '')).join('_');
  return `${bare(table)}_${cols}_idx`.slice(0, 63);
}

/** Summed average width of the key columns (8 bytes where unknown). */
function keyWidth(facts: TableFacts, columns: readonly string[]): number {
  return columns.reduce((sum, c) => {
    const col = facts.columns.find((f) => f.name.toLowerCase() === baseColumn(c).toLowerCase());
    return sum + (col?.avgWidth ?? 8);
  }, 0);
}

/** Estimated btree size: rows x (key width + tuple overhead) / fill factor. */
export function estimateIndexBytes(facts: TableFacts, columns: readonly string[]): number {
  return Math.round((Math.max(1, facts.rows) * (keyWidth(facts, columns) + 16)) / 0.9);
}

export interface ScanEstimate {
  /** the planner's cost of the full scan node today */
  scanCost: number;
  /** estimated cost of the index scan that would replace it: an estimate, not a plan */
  indexScanEstimate: number;
  randomPageCost: number;
}

/**
 * EXPLAIN evidence only (nothing planned with the index): the full scan's own cost against an
 * estimate of the index scan from the planner's statistics (index-scan-estimate.ts).
 */
export function scanEstimate(input: AdvisorInput, v: VerifiedCandidate): ScanEstimate | null {
  if (v.verification?.method !== 'explain') return null;
  let setting: number | null = null;
  for (let i = input.history.length - 1; i >= 0 && setting === null; i--)
    setting = input.history[i]?.signals.settings?.randomPageCost ?? null;
  const randomPageCost = setting !== null && setting > 0 ? setting : DEFAULT_RANDOM_PAGE_COST;
  for (const p of v.verification.plans) {
    const full = p.before?.accesses.find((a) => a.method === 'seq' && accessMatches(v.candidate, a.table));
    if (typeof full?.cost !== 'number') continue;
    const indexScanEstimate = estimateIndexScanCost({
      rowsPerLookup: v.candidate.rowsPerKey,
      tableRows: v.facts.rows,
      tableBytes: v.facts.dataBytes,
      keyBytes: keyWidth(v.facts, v.verification.columns),
      randomPageCost,
    });
    return { scanCost: full.cost, indexScanEstimate, randomPageCost };
  }
  return null;
}

/**
 * A full scan reads the whole table whatever it returns: the plan node's row estimate is what
 * survives the filter, the table's row count (planner statistics) is what the scan reads.
 */
export function fullScanReason(table: string, tableRows: number, returnedRows: number | null): string {
  const reads = Math.round(tableRows).toLocaleString('en-US');
  const returns =
    returnedRows === null ? '' : `, returns ~${Math.round(returnedRows).toLocaleString('en-US')}`;
  return `EXPLAIN: full scan of ${table} (reads ~${reads} rows per execution${returns})`;
}

/** A share in whole percent, but never "100" for less than all of it (99.5% shows as 99.5). */
export function percent(share: number): string {
  const whole = Math.round(share * 100);
  return whole >= 100 && share < 1 ? (Math.floor(share * 1000) / 10).toFixed(1) : String(whole);
}

/** How the what-if plans were made: a real index built and rolled back (sandbox only) or HypoPG. */
function whatIfOf(ver: Verification): 'hypopg' | 'sandbox-build' | null {
  if (ver.method !== 'hypopg') return null;
  return ver.plans.some((p) => p.after?.whatIf === 'sandbox-build') ? 'sandbox-build' : 'hypopg';
}

const PROOF_LABEL = {
  hypopg: 'HypoPG (hypothetical index)',
  'sandbox-build': 'sandbox build, rolled back',
} as const;

/** Is the candidate proven? Returns the reason, or null when it is not. */
export function proven(v: VerifiedCandidate, thresholds: AdvisorInput['thresholds']): string | null {
  const ver = v.verification;
  if (!ver) return null;
  if (ver.method === 'hypopg') {
    const before = sumCost(ver.plans.map((p) => p.before));
    const after = sumCost(ver.plans.map((p) => p.after));
    if (before === null || after === null || before <= 0) return null;
    const usesIt = ver.plans.some((p) =>
      p.after?.accesses.some((a) => a.method === 'index' && (a.index ?? '').startsWith('<')),
    );
    const reduction = 1 - after / before;
    if (!usesIt || reduction < thresholds.indexMinCostReduction) {
      // LIKE on a parameter: the generic plan cannot use any index for an unknown pattern (the
      // custom plans of prefix patterns can); the evidence is the full scan of today
      if (v.candidate.assumedPrefix?.length) return fullScanProof(v);
      return null;
    }
    const label = whatIfOf(ver) === 'sandbox-build' ? 'sandbox build, rolled back' : 'HypoPG';
    return `${label}: plan cost ${round(before, 1)} -> ${round(after, 1)} (-${percent(reduction)}%)`;
  }
  // EXPLAIN evidence: some targeted statement reads the whole table today.
  const full = fullScanProof(v);
  if (full) return full;
  const wrong = wrongIndexReason(v, thresholds);
  if (wrong) return wrong;
  // A selective filter on this table whose statement scans the other side of its JOIN in
  // full: the planner drives the join from the scanned side only because neither side has
  // an index; with both (this and its companion) it starts here.
  if (v.candidate.rowsPerKey <= thresholds.indexExtendMinRows) {
    for (const p of ver.plans) {
      const other = p.before?.accesses.find(
        (a) => a.method === 'seq' && ver.companions.some((c) => accessMatches(v.candidate, a.table, c.table)),
      );
      if (other)
        return `EXPLAIN: the JOIN scans ${other.table} in full; with the companion index it starts from this filter`;
    }
  }
  return null;
}

/** Some targeted statement reads the whole table today (EXPLAIN): the reason, or null. */
function fullScanProof(v: VerifiedCandidate): string | null {
  for (const p of v.verification?.plans ?? []) {
    const full = p.before?.accesses.find((a) => a.method === 'seq' && accessMatches(v.candidate, a.table));
    if (full) return fullScanReason(v.candidate.table, v.facts.rows, full.rows);
  }
  return null;
}

/**
 * "An index is used" is not "the best index is used" (EXPLAIN evidence). The statement reads
 * this table through an existing index that either
 *   - lacks the candidate's leading column and serves only a later one (an index on the range
 *     or sort column: it walks every row of the range, whoever they belong to), while the
 *     candidate's leading equality narrows a lookup to a small share of the table; or
 *   - is a strict leading prefix of the candidate that still matches many rows per key (the
 *     rest — range or the ORDER BY of a LIMIT — is filtered or sorted row by row; with the
 *     candidate the scan stops early).
 * The numbers are the planner's statistics: rows per key of the index used against the candidate's.
 */
export function wrongIndexReason(
  v: VerifiedCandidate,
  thresholds: AdvisorInput['thresholds'],
): string | null {
  const ver = v.verification;
  if (!ver) return null;
  const want = ver.columns.map((c) => c.toLowerCase());
  const tableRows = Math.max(1, v.facts.rows);
  for (const p of ver.plans) {
    for (const a of p.before?.accesses ?? []) {
      if (a.method !== 'index' || a.index === null || !accessMatches(v.candidate, a.table)) continue;
      const used = v.facts.indexes.find((i) => bare(i.name) === bare(a.index ?? ''));
      if (!used || used.where !== null) continue;
      const have = used.columns.map((c) => c.toLowerCase());
      const lead = have[0];
      if (lead === undefined) continue;
      const candidateRows = v.candidate.rowsPerKey;
      if (
        lead !== want[0] &&
        want.slice(1).includes(lead) &&
        candidateRows / tableRows <= thresholds.indexMaxRowShare
      )
        return `EXPLAIN: reads ${v.candidate.table} through ${used.name} (${used.columns.join(', ')}), which lacks the leading ${ver.columns[0]}: it walks every row of the ${lead} range; (${ver.columns.join(', ')}) narrows each lookup to ~${Math.round(candidateRows).toLocaleString('en-US')} of ${Math.round(tableRows).toLocaleString('en-US')} rows`;
      const prefix = have.length < want.length && have.every((c, i) => want[i] === c);
      const perKey = rowsPerKey(v.facts, used.columns);
      if (prefix && perKey > thresholds.indexExtendMinRows)
        return `EXPLAIN: reads ${v.candidate.table} through ${used.name} (${used.columns.join(', ')}): ~${Math.round(perKey).toLocaleString('en-US')} rows per key, each filtered or sorted; (${ver.columns.join(', ')}) reads them in order and stops early`;
    }
  }
  return null;
}

/**
 * The negatives a DBA checks before the proof counts (Use The Index, Luke "Insert/Delete/Update";
 * MySQL manual 8.3.1): the statements return a large share of the table (a full read is
 * cheaper than one page visit per row), or the key columns are rewritten far more often than
 * the statements run. Returns why the candidate is not worth an index, or null.
 */
export function notWorthIt(v: VerifiedCandidate, thresholds: AdvisorInput['thresholds']): string | null {
  const reads = v.candidate.statements.reduce((s, x) => s + x.calls, 0);
  const writes = v.candidate.keyWrites;
  if (writes > 0 && writes > thresholds.indexMaxWritesPerRead * Math.max(1, reads))
    return `write-heavy: its key columns are rewritten ${writes.toLocaleString('en-US')} times for ${reads.toLocaleString('en-US')} execution(s) it would serve`;
  // the share of the table each statement returns from it; only statements on this one table
  // (the scan node of a join's inner side returns what the join needs, not what a filter keeps)
  if (v.candidate.limited) return null;
  const tableRows = Math.max(1, v.facts.rows);
  let smallest: number | null = null;
  for (const p of v.verification?.plans ?? []) {
    const statement = v.candidate.statements.find((s) => s.id === p.statementId);
    if (statement?.shape.tables.length !== 1) return null;
    for (const a of p.before?.accesses ?? []) {
      if (!accessMatches(v.candidate, a.table)) continue;
      const rows = a.returned;
      if (typeof rows === 'number' && (smallest === null || rows < smallest)) smallest = rows;
    }
  }
  if (smallest !== null && smallest / tableRows > thresholds.indexMaxFetchShare)
    return `unselective: each execution returns ~${Math.round(smallest).toLocaleString('en-US')} of ${Math.round(tableRows).toLocaleString('en-US')} rows (${percent(smallest / tableRows)}%), read faster in full`;
  if (smallest === null) return openRangeUnselective(v, thresholds);
  return null;
}

/** PostgreSQL's default selectivity of one inequality on an unknown value (DEFAULT_INEQ_SEL). */
const OPEN_RANGE_SHARE = 1 / 3;

/**
 * The plan gave no row estimate (MariaDB without condition statistics reports filtered 100):
 * the share from the statistics instead, as PostgreSQL's planner estimates it — the rows of one
 * lookup of the equality prefix, times a third for a single open-ended inequality on the range
 * column (`visited_at > ?`). Closed ranges (BETWEEN, >= and <) and LIKE are not judged this way.
 */
function openRangeUnselective(v: VerifiedCandidate, thresholds: AdvisorInput['thresholds']): string | null {
  const c = v.candidate;
  const range = c.columns[c.equalityCount];
  if (range === undefined || c.columns.length !== c.equalityCount + 1 || c.statements.length === 0)
    return null;
  const name = baseColumn(range).toLowerCase();
  const open = c.statements.every((s) => {
    const bounds = s.shape.uses.filter((u) => u.kind === 'range' && u.column.toLowerCase() === name).length;
    const quoted = name.replace(/[^a-z0-9_]/g, '');
    const comparisons =
      s.text.match(new RegExp(`(?:^|[^\\w])[\`"]?${quoted}[\`"]?\\s*(<=|>=|<|>)`, 'gi')) ?? [];
    return bounds === 1 && comparisons.length === 1 && !/\bbetween\b/i.test(s.text);
  });
  if (!open) return null;
  const tableRows = Math.max(1, v.facts.rows);
  const returned = c.rowsPerKey * OPEN_RANGE_SHARE;
  if (returned / tableRows <= thresholds.indexMaxFetchShare) return null;
  return `unselective: each execution returns ~${Math.round(returned).toLocaleString('en-US')} of ${Math.round(tableRows).toLocaleString('en-US')} rows (${percent(returned / tableRows)}%), read faster in full — estimated from the statistics (~${Math.round(c.rowsPerKey).toLocaleString('en-US')} rows per ${c.columns.slice(0, c.equalityCount).join(', ') || 'table'}, a third of them past an open-ended ${range} bound, the planner's default), as the plan gave no row estimate`;
}

/**
 * Key columns too long for the engine to index in full get the prefix length the engine chose
 * from the data (MySQL manual 8.3.5; High Performance MySQL §5.3), with why.
 */
export function keyPrefixes(
  facts: TableFacts,
  columns: readonly string[],
): { prefix: Record<string, number>; reasons: string[] } {
  const prefix: Record<string, number> = {};
  const reasons: string[] = [];
  for (const c of columns) {
    const p = facts.columns.find((f) => f.name.toLowerCase() === c.toLowerCase())?.keyPrefix;
    if (!p) continue;
    prefix[c] = p.length;
    reasons.push(
      `prefix: ${c} is too long to index in full; its first ${p.length} characters keep ${p.prefixDistinct.toLocaleString('en-US')} of the full column's ${p.fullDistinct.toLocaleString('en-US')} distinct values in a ${p.sampled.toLocaleString('en-US')}-row sample`,
    );
  }
  return { prefix, reasons };
}

/** A column as an index names it, compared loosely: `Path(40)`, `"name" text_pattern_ops`. */
const indexed = (c: string): string => c.toLowerCase().replace(/[`"]/g, '').replace(/\s+/g, ' ').trim();

/**
 * "Replace, don't add" (Percona, "Duplicate indexes and redundant indexes"; Use The Index, Luke,
 * "Concatenated Keys"): an existing index whose key columns are a leading prefix of the new
 * index's key — same columns, same operator classes and prefix lengths, no predicate — serves
 * no lookup the new one does not, so it would only cost writes, space and cache beside it.
 * Indexes that enforce something (primary key, unique) stay.
 */
export function redundantWith(
  facts: TableFacts,
  columns: readonly string[],
  opclass: Readonly<Record<string, string>> = {},
  prefix: Readonly<Record<string, number>> = {},
): ExistingIndex[] {
  const key = columns.map((c) =>
    indexed(`${c}${prefix[c] ? `(${prefix[c]})` : ''}${opclass[c] ? ` ${opclass[c]}` : ''}`),
  );
  return facts.indexes.filter(
    (i) =>
      !i.primary &&
      !i.unique &&
      i.where === null &&
      i.columns.length > 0 &&
      i.columns.length <= key.length &&
      i.columns.every((c, n) => indexed(c) === key[n]),
  );
}

export interface Covering {
  include: string[];
  reason: string;
}

/**
 * A covering index (Use The Index, Luke: "Index-Only Scan"; PostgreSQL manual 11.9; InnoDB
 * secondary indexes carry the primary key): when each execution fetches many rows through the
 * index, every one is a visit to the table; carrying the few narrow columns the statements
 * also read lets the index answer alone. Not when a LIMIT bounds the fetch, when a statement
 * reads every column, or when the payload is wide.
 */
export function covering(
  input: AdvisorInput,
  v: VerifiedCandidate,
  columns: readonly string[],
): Covering | null {
  const t = input.thresholds;
  const payload = v.candidate.payload;
  if (t.indexCoverMaxColumns <= 0 || payload === null || v.candidate.limited) return null;
  const key = columns.map((c) => c.toLowerCase());
  const primary = traits(input).secondaryIndexesCarryPrimaryKey
    ? (v.facts.indexes.find((i) => i.primary)?.columns ?? []).map((c) => c.toLowerCase())
    : [];
  // key columns the proof dropped are read too
  const wanted = [...v.candidate.columns.filter((c) => !key.includes(c.toLowerCase())), ...payload];
  const include = [...new Set(wanted)].filter(
    (c) => !key.includes(c.toLowerCase()) && !primary.includes(c.toLowerCase()) && !c.includes('('),
  );
  if (include.length === 0 || include.length > t.indexCoverMaxColumns) return null;
  for (const c of include) {
    const width = v.facts.columns.find((f) => f.name.toLowerCase() === c.toLowerCase())?.avgWidth ?? null;
    if (width === null || width > t.indexCoverMaxWidthBytes) return null;
  }
  // Only a lookup by equalities has a match count the statistics tell (rows per key); behind a
  // range the rows fetched depend on the bound, which a normalized statement does not show.
  if (v.candidate.equalityCount !== v.candidate.columns.length || key.length !== v.candidate.columns.length)
    return null;
  const fetched = v.candidate.rowsPerKey;
  if (fetched < t.indexCoverMinRows) return null;
  return {
    include,
    reason: `covering: each lookup matches ~${Math.round(fetched).toLocaleString('en-US')} rows of ${v.candidate.table} (statistics); with (${include.join(', ')}) in the index they are answered from the index alone (index-only scan), without a visit to the table per row`,
  };
}

/**
 * The arithmetic a DBA audits before adding an index: how often the statements run and how much
 * of their time the index saves (planner cost ratio applied to the measured time), against the
 * writes the table takes (rows modified since its last ANALYZE, from the statistics), the index's
 * estimated size and its share of the buffer cache.
 */
export function costBenefit(
  input: AdvisorInput,
  v: VerifiedCandidate,
  before: number | null,
  after: number | null,
  estimate: ScanEstimate | null,
  sizeBytes: number,
): Record<string, number | string | null> {
  const statements = v.candidate.statements;
  const calls = statements.reduce((s, x) => s + x.calls, 0);
  const totalSeconds = statements.reduce((s, x) => s + x.totalSeconds, 0);
  const ratio =
    before !== null && after !== null && before > 0
      ? after / before
      : estimate && estimate.scanCost > 0
        ? Math.min(1, estimate.indexScanEstimate / estimate.scanCost)
        : null;
  const latest = input.history.at(-1)?.signals;
  const table = latest?.tables?.tables.find((t) => t.table === v.candidate.table);
  const cacheBytes = latest?.cache?.sizeBytes ?? null;
  return {
    calls,
    totalSeconds: round(totalSeconds, 4),
    meanMs: calls > 0 ? round((totalSeconds / calls) * 1000, 3) : null,
    planCostRatio: ratio === null ? null : round(ratio, 4),
    // frequency x saving: the measured time times the share of plan cost the index removes
    secondsSavedEstimate: ratio === null ? null : round(totalSeconds * (1 - ratio), 4),
    basis:
      before !== null && after !== null
        ? 'what-if plan cost'
        : estimate
          ? 'scan cost vs index-scan estimate'
          : 'none',
    tableRowsModifiedSinceAnalyze: table?.rowsModifiedSinceAnalyze ?? null,
    indexesToMaintainToday: v.facts.indexes.length,
    indexBytesEstimate: sizeBytes,
    cacheBytes,
    cacheShare: cacheBytes && cacheBytes > 0 ? round(sizeBytes / cacheBytes, 4) : null,
    // executions of statements rewriting the key columns (each maintains the index), per execution served
    keyColumnWrites: v.candidate.keyWrites,
    keyColumnWritesPerCall: calls > 0 ? round(v.candidate.keyWrites / calls, 2) : null,
  };
}

export function missingIndex(input: AdvisorInput, verified: readonly VerifiedCandidate[]): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  const ordered = [...verified].sort(
    (a, b) =>
      b.candidate.statements.reduce((s, x) => s + x.totalSeconds, 0) -
      a.candidate.statements.reduce((s, x) => s + x.totalSeconds, 0),
  );
  for (const v of ordered) {
    const reason = proven(v, input.thresholds);
    if (!reason || !v.verification || notWorthIt(v, input.thresholds) !== null) continue;
    const columns = v.verification.columns;
    const cover = covering(input, v, columns);
    const include = cover?.include ?? [];
    const prefixes = keyPrefixes(v.facts, columns);
    const opclass = Object.fromEntries(
      Object.entries(v.candidate.opclass ?? {}).filter(([c]) => columns.includes(c)),
    );
    const patternReasons = Object.entries(opclass).map(
      ([c, op]) =>
        `LIKE 'prefix%': the collation of ${c} does not sort by byte, so a plain btree cannot serve it; ${op} can (PostgreSQL manual 11.10)${
          v.candidate.assumedPrefix?.includes(c)
            ? ' — the pattern is a parameter the statistics do not show: this assumes the application sends prefixes (abc%), not %abc%'
            : ''
        }`,
    );
    const key = `${candidateKey({
      table: v.candidate.table,
      columns: columns.map((c) => (v.candidate.opclass?.[c] ? `${c} ${v.candidate.opclass[c]}` : c)),
    })}${include.length > 0 ? ` include(${include.join(',')})` : ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const before = sumCost(v.verification.plans.map((p) => p.before));
    const after = sumCost(v.verification.plans.map((p) => p.after));
    const size = estimateIndexBytes(v.facts, [...columns, ...include]);
    const whatIf = whatIfOf(v.verification);
    const estimate = scanEstimate(input, v);
    const because = `${
      estimate
        ? `${reason}; an index scan would cost ~${round(estimate.indexScanEstimate, 0)} instead of the scan's ${round(estimate.scanCost, 0)} (estimate from statistics, not proven)`
        : reason
    }${cover ? `; ${cover.reason}` : ''}${[...prefixes.reasons, ...patternReasons].map((r) => `; ${r}`).join('')}`;
    const statements = v.candidate.statements;
    const totalSeconds = statements.reduce((s, x) => s + x.totalSeconds, 0);
    const scans = input.history.at(-1)?.signals.tables?.tables.find((t) => t.table === v.candidate.table);
    const writeOverhead = `Write overhead: every INSERT, DELETE and UPDATE of these columns also maintains this index (${v.facts.indexes.length} index(es) today). Disk: about ${formatBytes(size)}.`;
    const create = createIndexAction({
      table: v.candidate.table,
      name: indexName(v.candidate.table, [...columns, ...include]),
      columns,
      include,
      prefix: prefixes.prefix,
      opclass,
      lockTimeoutSeconds: INDEX_LOCK_TIMEOUT_SECONDS,
      risk: writeOverhead,
      tableBytes: v.facts.dataBytes,
    });
    const tableIndexes = (input.history.at(-1)?.signals.tables?.indexes ?? []).filter(
      (i) => i.table === v.candidate.table,
    );
    const replaced = redundantWith(v.facts, columns, opclass, prefixes.prefix).map((i) => {
      const stat = tableIndexes.find((s) => bare(s.index) === bare(i.name));
      return {
        name: bare(i.name),
        columns: i.columns,
        sizeBytes: stat?.sizeBytes ?? null,
        scans: stat?.scans ?? null,
        drop: dropIndexAction({
          table: v.candidate.table,
          name: bare(i.name),
          columns: i.columns,
          unique: false,
          where: null,
          definition: stat?.definition ?? null,
          tableBytes: v.facts.dataBytes,
          risk: `Only after the new index is built: statements planned on ${bare(i.name)} move to the new index, whose leading columns are the same (slightly larger reads). A brief lock while dropping.`,
        }),
      };
    });
    const replaceReasons = replaced.map(
      (r) =>
        `replace, don't add: ${r.name} (${r.columns.join(', ')}) is a leading prefix of (${columns.join(', ')}), which serves every lookup it serves — drop it once the new index is built: one index to maintain on every write instead of two${
          r.sizeBytes ? `, ${formatBytes(r.sizeBytes)} freed` : ''
        }${r.scans !== null ? ` (${r.scans.toLocaleString('en-US')} scans of it so far move to the new index)` : ''}`,
    );
    const proof = `${because}${replaceReasons.map((r) => `; ${r}`).join('')}`;
    const actions = [create, ...replaced.map((r) => r.drop)];
    const rendered = renderActions(input, actions);
    out.push(
      makeFinding(input, 'missing-index', {
        severity: 'warning',
        object: key,
        summary: `${v.candidate.table} needs an index on (${columns.join(', ')})${include.length > 0 ? ` carrying (${include.join(', ')})` : ''}: ${statements.length} statement(s), ${round(totalSeconds, 1)} s total; ${proof}`,
        evidence: {
          table: v.candidate.table,
          columns,
          include,
          tableRows: Math.round(v.facts.rows),
          rowsPerLookup: Math.round(v.candidate.rowsPerKey),
          proof,
          method: whatIf ?? v.verification.method,
          statementIds: statements.map((s) => s.id),
          statements: statements.map((s) => ({
            id: s.id,
            text: s.shown.slice(0, 500),
            calls: s.calls,
            totalSeconds: round(s.totalSeconds, 3),
            meanSeconds: s.calls > 0 ? round(s.totalSeconds / s.calls, 5) : null,
          })),
          costBefore: before === null ? null : round(before, 2),
          costAfter: after === null ? null : round(after, 2),
          // without a what-if: the full scan node's cost and an ESTIMATE of the index scan replacing it
          scanCost: estimate ? round(estimate.scanCost, 2) : null,
          scanCostAfterEstimate: estimate ? round(estimate.indexScanEstimate, 2) : null,
          existingIndexes: v.facts.indexes.map((i) => `${i.name} (${i.columns.join(', ')})`),
          // existing indexes the new one makes redundant, dropped by the same fix
          replaces: replaced.map((r) => ({
            index: r.name,
            columns: r.columns,
            sizeBytes: r.sizeBytes,
            scans: r.scans,
          })),
          costBenefit: costBenefit(input, v, before, after, estimate, size),
          // the table's full-scan counters since statistics reset, when the tables probe has it
          tableSeqScans: scans?.seqScans ?? null,
          tableSeqRowsRead: scans?.seqRowsRead ?? null,
        },
        fix: {
          summary: `Create index (${columns.join(', ')})${include.length > 0 ? ` carrying (${include.join(', ')})` : ''} on ${v.candidate.table}, about ${formatBytes(size)}${
            replaced.length > 0
              ? `, then drop ${replaced.map((r) => `${r.name} (${r.columns.join(', ')})`).join(', ')}, which it makes redundant`
              : ''
          }`,
          actions,
          statements: rendered.statements,
          risk: `${rendered.risk} ${writeOverhead}`,
          // undone in reverse: the dropped index back first, then the new one dropped
          rollback: rollbackText(input, [...actions].reverse(), 'None needed.'),
          index: indexProposal(v.candidate.table, columns, { include, prefix: prefixes.prefix, opclass }),
          details: {
            costBefore: before === null ? null : round(before, 2),
            costAfter: after === null ? null : round(after, 2),
            // how the cost after was obtained; without a what-if there is only the plan of today
            proof: whatIf === null ? 'EXPLAIN of the current plan' : PROOF_LABEL[whatIf],
            scanCost: estimate ? round(estimate.scanCost, 2) : null,
            scanCostAfterEstimate: estimate ? round(estimate.indexScanEstimate, 2) : null,
            sizeBytesEstimate: size,
            statementIds: statements.map((s) => s.id),
          },
        },
      }),
    );
  }
  return out;
}
