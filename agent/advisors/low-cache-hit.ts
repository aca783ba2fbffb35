import type { Finding } from '../findings/finding.js';
import { cacheRate, tableRates } from '../snapshot/rates.js';
import type { CacheSignals } from '../snapshot/signals.js';
import {
  type AdvisorInput,
  formatBytes,
  latest,
  makeFinding,
  remedies,
  renderActions,
  rollbackText,
  round,
  setSetting,
} from './context.js';

// The interval hit ratio (never the one since server start, which hides a bad hour), low for
// `cacheHitSamples` consecutive judged intervals. Intervals with too few block requests to
// mean anything are skipped, neither breaking nor extending the run.

interface Interval {
  ratio: number;
  requests: number;
  reads: number;
}

function intervals(input: AdvisorInput): Interval[] {
  const caches: CacheSignals[] = [];
  for (const s of input.history) {
    const c = s.signals.cache;
    if (c && caches.at(-1)?.at !== c.at) caches.push(c);
  }
  const out: Interval[] = [];
  for (let i = 1; i < caches.length; i++) {
    const previous = caches[i - 1];
    const current = caches[i];
    if (!previous || !current) continue;
    const rate = cacheRate(previous, current);
    if (!rate || rate.items.ratio === null) continue;
    const requests = rate.items.hits + rate.items.reads;
    if (requests < input.thresholds.cacheMinBlockRequests) continue;
    out.push({ ratio: rate.items.ratio, requests, reads: rate.items.reads });
  }
  return out;
}

/** Tables doing the most disk reads over the history the agent holds. */
function readingTables(input: AdvisorInput): { table: string; blocksRead: number }[] {
  const tables = input.history.map((s) => s.signals.tables).filter((t) => t !== undefined);
  const first = tables[0];
  const last = tables.at(-1);
  if (!first || !last) return [];
  const rates = first.at !== last.at ? tableRates(first, last)?.items : null;
  const rows = (rates ?? last.tables).map((t) => ({
    table: t.table,
    blocksRead: (t.heapBlocksRead ?? 0) + (t.indexBlocksRead ?? 0),
  }));
  return rows
    .filter((r) => r.blocksRead > 0)
    .sort((a, b) => b.blocksRead - a.blocksRead)
    .slice(0, 5);
}

export function lowCacheHit(input: AdvisorInput): Finding[] {
  const t = input.thresholds;
  const judged = intervals(input);
  const run = judged.slice(-t.cacheHitSamples);
  if (run.length < t.cacheHitSamples || run.some((i) => i.ratio >= t.cacheHitRatioMin)) return [];
  const snapshot = latest(input);
  const cache = snapshot?.signals.cache;
  const settings = snapshot?.signals.settings;
  const sizeBytes = cache?.sizeBytes ?? null;
  const dataBytes = cache?.dataBytes ?? null;
  const hostBytes = settings?.hostMemoryBytes ?? null;
  const worstRatio = Math.min(...run.map((i) => i.ratio));
  const meanRatio = run.reduce((s, i) => s + i.ratio, 0) / run.length;

  // Working set: what is read, bounded by the data there is; capped by the host's memory share.
  let proposed: number | null = null;
  if (sizeBytes !== null) {
    proposed = dataBytes !== null && dataBytes * 1.2 > sizeBytes ? dataBytes * 1.2 : sizeBytes * 2;
    if (hostBytes !== null) proposed = Math.min(proposed, hostBytes * t.cacheMaxHostMemoryShare);
    const mb = 1024 * 1024 * 128;
    proposed = Math.ceil(proposed / mb) * mb;
    if (proposed <= sizeBytes) proposed = null;
  }
  const statements = (input.rates.statements?.items ?? [])
    .filter((s) => (s.blocksRead ?? 0) > 0)
    .sort((a, b) => (b.blocksRead ?? 0) - (a.blocksRead ?? 0))
    .slice(0, 5);
  const setting = remedies(input).setting('buffer-cache-bytes').name;
  const grow =
    proposed === null
      ? null
      : setSetting(input, 'buffer-cache-bytes', proposed, sizeBytes, 'memory taken from the host');
  const rendered = renderActions(input, grow === null ? [] : [grow]);
  const fixStatements = [
    ...rendered.statements,
    'Check the statements and tables listed in the evidence for missing indexes (full scans read everything)',
  ];

  return [
    makeFinding(input, 'low-cache-hit', {
      severity: worstRatio < t.cacheHitRatioMin - 0.1 ? 'critical' : 'warning',
      object: 'buffer-cache',
      summary: `buffer cache hit ratio ${round(meanRatio * 100, 1)}% over the last ${run.length} intervals (threshold ${t.cacheHitRatioMin * 100}%)`,
      evidence: {
        intervalRatios: run.map((i) => round(i.ratio, 4)),
        threshold: t.cacheHitRatioMin,
        blockReads: run.reduce((s, i) => s + i.reads, 0),
        cacheBytes: sizeBytes,
        dataBytes,
        hostMemoryBytes: hostBytes,
        topReadingTables: readingTables(input).map((r) => ({ table: r.table, blocksRead: r.blocksRead })),
        topReadingStatements: statements.map((s) => ({
          id: s.id,
          fingerprint: s.fingerprint.slice(0, 200),
          blocksRead: s.blocksRead ?? 0,
        })),
      },
      fix: {
        summary:
          proposed !== null && sizeBytes !== null
            ? `Grow ${setting} ${formatBytes(sizeBytes)} -> ${formatBytes(proposed)} (working set${dataBytes === null ? '' : ` ${formatBytes(dataBytes)} of data`}), after ruling out full scans`
            : `Find what reads from disk (evidence) and index it, or grow ${setting}`,
        actions: grow === null ? [] : [grow],
        statements: fixStatements,
        risk: remedies(input).setting('buffer-cache-bytes').risk,
        rollback: rollbackText(input, grow === null ? [] : [grow], 'None needed: nothing was changed.'),
        details: { currentBytes: sizeBytes, proposedBytes: proposed },
      },
    }),
  ];
}
