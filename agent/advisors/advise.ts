import type { Thresholds } from '../config/thresholds.js';
import type { EngineSession, IndexVerifier, TableFacts } from '../engines/engine.js';
import type { Finding } from '../findings/finding.js';
import type { Logger } from '../log.js';
import type { Advise, CycleContext } from '../runtime/target-runner.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { AdvisorInput } from './context.js';
import { duplicateIndex } from './duplicate-index.js';
import { extensionMissing } from './extension-missing.js';
import { fkWithoutIndex } from './fk-without-index.js';
import { idleInTransaction } from './idle-in-transaction.js';
import { generateCandidates, type SourceStatement } from './index/candidates.js';
import { parseMysql } from './index/parse-mysql.js';
import { parsePostgres } from './index/parse-postgres.js';
import type { StatementShape } from './index/shape.js';
import { statementSources } from './index/sources.js';
import { VerificationCache } from './index/verify.js';
import { longRunningTransaction } from './long-running-transaction.js';
import { lowCacheHit } from './low-cache-hit.js';
import { missingIndex, type VerifiedCandidate } from './missing-index.js';
import { missingPrivilege } from './missing-privilege.js';
import { poolSaturation } from './pool-saturation.js';
import { slowQuery } from './slow-query.js';
import { staleStatistics } from './stale-statistics.js';
import { tableBloat } from './table-bloat.js';
import { FindingTracker } from './tracker.js';
import { unusedIndex } from './unused-index.js';

// One target's advise step: pure candidate generation -> engine verification (cached) ->
// pure decisions -> finding tracking (stable ids, resolve after a quiet period).

export interface AdviseOptions {
  thresholds: Thresholds;
  runbookBaseUrl: string;
  log: Logger;
  /**
   * The target is a throw-away sandbox (the demo): without HypoPG, index candidates are
   * proven by building them in a transaction that is rolled back. Never for a user's database.
   */
  sandboxProof?: boolean;
  /** findings may show statement samples with their literals (config redaction.showSamples) */
  showSamples?: boolean;
}

const MAX_PARSED = 2000;

class FactsCache {
  private readonly entries = new Map<
    string,
    { stamp: number; fetchedAt: number; facts: TableFacts | null }
  >();

  async get(
    verifier: IndexVerifier,
    database: string | null,
    table: string,
    columns: readonly string[],
    stamp: number,
    now: number,
    ttlMs: number,
  ): Promise<TableFacts | null> {
    const key = `${database ?? ''}\u0000${table}\u0000${columns.join(',')}`;
    const hit = this.entries.get(key);
    if (hit && hit.stamp === stamp && now - hit.fetchedAt < ttlMs) return hit.facts;
    const facts = await verifier.tableFacts(database, table, columns);
    this.entries.set(key, { stamp, fetchedAt: now, facts });
    if (this.entries.size > MAX_PARSED) this.entries.delete(this.entries.keys().next().value ?? key);
    return facts;
  }
}

/** Everything the index advisor needs from the database, gathered through the session's verifier. */
async function verifiedCandidates(
  input: AdvisorInput,
  snapshot: Snapshot,
  session: EngineSession | null,
  state: {
    parsed: Map<string, StatementShape | null>;
    facts: FactsCache;
    cache: VerificationCache;
    fallback: VerificationCache;
  },
  log: Logger,
  sandboxProof: boolean,
  showSamples: boolean,
): Promise<VerifiedCandidate[] | null> {
  const verifier = session?.indexVerifier?.({ sandboxProof });
  if (!verifier) return null;
  const t = input.thresholds;
  const sources: SourceStatement[] = [];
  for (const raw of statementSources(snapshot, t, showSamples)) {
    let shape = state.parsed.get(raw.text);
    if (shape === undefined) {
      shape = input.engine === 'postgres' ? await parsePostgres(raw.text) : parseMysql(raw.text);
      if (state.parsed.size >= MAX_PARSED) state.parsed.clear();
      state.parsed.set(raw.text, shape);
    }
    if (shape) sources.push({ ...raw, shape });
  }
  if (sources.length === 0) return [];
  // facts of every table the statements name
  const stamp = snapshot.signals.tables?.at ?? 0;
  const ttl = t.verifyCacheSeconds * 1000;
  // every column any statement uses, per table, so one facts read covers them all
  const wanted = new Map<string, { database: string | null; table: string; columns: Set<string> }>();
  for (const s of sources) {
    for (const table of s.shape.tables) {
      const key = `${s.database ?? ''}\u0000${table}`;
      const entry = wanted.get(key) ?? { database: s.database, table, columns: new Set<string>() };
      for (const u of s.shape.uses) entry.columns.add(u.column);
      wanted.set(key, entry);
    }
  }
  const facts = new Map<string, TableFacts>();
  for (const [key, w] of wanted) {
    try {
      const f = await state.facts.get(
        verifier,
        w.database,
        w.table,
        [...w.columns].sort(),
        stamp,
        snapshot.at,
        ttl,
      );
      if (f) facts.set(key, f);
    } catch (error) {
      log.debug({ err: error, table: w.table }, 'table facts failed');
    }
  }
  const candidates = generateCandidates(sources, (db, table) => facts.get(`${db ?? ''}\u0000${table}`), t);
  const out: VerifiedCandidate[] = [];
  for (const candidate of candidates) {
    const f = [...facts.values()].find((x) => x.table === candidate.table);
    if (!f) continue;
    const ids = new Set(candidate.statements.map((s) => s.id));
    const companions = candidates
      .filter((o) => o !== candidate && o.statements.some((s) => ids.has(s.id)))
      .map((o) => ({ table: o.table, columns: o.columns }));
    let verification = await state.cache.verify(verifier, candidate, f, snapshot.at, t, companions);
    // A sandbox build that failed (lock timeout, disk) turns the what-if off on that
    // connection; the candidate is then judged on EXPLAIN evidence instead of dropped.
    if (verification === null && sandboxProof && !(await verifier.whatIf()))
      verification = await state.fallback.verify(verifier, candidate, f, snapshot.at, t, companions);
    log.debug(
      { candidate: candidate.columns, table: candidate.table, verification },
      'index candidate verified',
    );
    out.push({ candidate, facts: f, verification });
  }
  return out;
}

export function createAdvise(options: AdviseOptions): Advise {
  const { runbookBaseUrl, log } = options;
  const sandboxProof = options.sandboxProof === true;
  const showSamples = options.showSamples === true;
  const tracker = new FindingTracker();
  const state = {
    parsed: new Map<string, StatementShape | null>(),
    facts: new FactsCache(),
    cache: new VerificationCache(log),
    fallback: new VerificationCache(log),
  };
  let lastIndexFindings: Finding[] = [];
  return async (context: CycleContext): Promise<Finding[]> => {
    // a reloaded config's thresholds arrive with the cycle; the tracker and caches stay
    const thresholds = context.thresholds ?? options.thresholds;
    const snapshot = context.history.at(-1);
    if (!snapshot) return [];
    const input: AdvisorInput = {
      target: context.spec.name,
      engine: context.spec.engine,
      history: context.history,
      rates: context.rates,
      thresholds,
      runbookBaseUrl,
    };
    const verified = snapshot.up
      ? await verifiedCandidates(input, snapshot, context.session, state, log, sandboxProof, showSamples)
      : null;
    // Without a session this cycle, the last index findings stand (the tracker keeps them).
    const indexFindings = verified === null ? lastIndexFindings : missingIndex(input, verified);
    lastIndexFindings = indexFindings;
    const fk = fkWithoutIndex(input);
    const slow = slowQuery(input, indexFindings);
    const findings: Finding[] = [
      ...poolSaturation(input, [...indexFindings, ...slow]),
      ...indexFindings,
      ...fk,
      ...slow,
      ...lowCacheHit(input),
      ...idleInTransaction(input),
      ...longRunningTransaction(input),
      ...extensionMissing(input),
      ...missingPrivilege(input),
      ...staleStatistics(input),
      ...tableBloat(input),
      ...unusedIndex(input),
      ...duplicateIndex(input),
    ];
    return tracker.update(findings, snapshot.at, thresholds.resolveAfterSeconds);
  };
}
