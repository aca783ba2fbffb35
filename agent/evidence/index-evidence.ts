import type { Thresholds } from '../config/thresholds.js';
import type { EngineDialect, IndexVerifier, TableFacts } from '../engines/engine.js';
import type { Logger } from '../log.js';
import type { TableSignals } from '../snapshot/signals.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { generateCandidates, type SourceStatement } from './candidates.js';
import type { StatementShape } from './shape.js';
import { statementSources } from './sources.js';
import { VerificationCache, type VerifiedCandidate } from './verify.js';

// What index advice needs from the database, for one target: statements parsed by the
// engine's parser, table facts, pure candidate generation, then each candidate verified
// through the engine's IndexVerifier (EXPLAIN, what-if, sandbox proof) — all cached, so a
// steady workload costs no database time after the first round. `stop()` is asked between
// database calls: a round cut short keeps what it verified (in the caches) and the next round
// resumes there.

const MAX_PARSED = 2000;

/**
 * What a table's facts depend on, from the tables probe: statistics refreshed (ANALYZE, VACUUM),
 * the row count by order of magnitude (a doubling), and its indexes. Facts read under the same
 * version are still true, so a new tables-probe run re-reads only the tables that changed.
 */
function tableVersions(tables: TableSignals | undefined): Map<string, string> {
  const versions = new Map<string, string>();
  if (!tables) return versions;
  const indexes = new Map<string, string[]>();
  for (const i of tables.indexes) {
    const list = indexes.get(i.table) ?? [];
    list.push(`${i.index}(${i.columns.join(',')})${i.where ?? ''}`);
    indexes.set(i.table, list);
  }
  for (const t of tables.tables) {
    const magnitude = t.liveRows === null ? 'n' : Math.round(Math.log2(t.liveRows + 1));
    const keys = (indexes.get(t.table) ?? []).sort().join(';');
    versions.set(t.table, `${t.lastAnalyzeAt}|${t.lastVacuumAt}|${magnitude}|${keys}`);
  }
  return versions;
}

/**
 * The version facts were read under. A table the server did not find (a CTE or function name
 * taken for a table, a table not created yet) stands until the set of tables changes.
 */
function versionOf(facts: TableFacts | null, versions: ReadonlyMap<string, string>): string | undefined {
  return facts ? versions.get(facts.table) : `absent among ${versions.size} tables`;
}

class FactsCache {
  private readonly entries = new Map<
    string,
    { stamp: number; version: string | undefined; fetchedAt: number; facts: TableFacts | null }
  >();

  async get(
    verifier: IndexVerifier,
    database: string | null,
    table: string,
    columns: readonly string[],
    stamp: number,
    versions: ReadonlyMap<string, string>,
    now: number,
    ttlMs: number,
  ): Promise<TableFacts | null> {
    const key = `${database ?? ''}\u0000${table}\u0000${columns.join(',')}`;
    const hit = this.entries.get(key);
    if (hit && now - hit.fetchedAt < ttlMs) {
      if (hit.stamp === stamp) return hit.facts;
      // a newer tables-probe run: the facts stand when their table did not change since
      const version = versionOf(hit.facts, versions);
      if (version !== undefined && version === hit.version) {
        hit.stamp = stamp;
        return hit.facts;
      }
    }
    const facts = await verifier.tableFacts(database, table, columns);
    const version = versionOf(facts, versions);
    this.entries.set(key, { stamp, version, fetchedAt: now, facts });
    if (this.entries.size > MAX_PARSED) this.entries.delete(this.entries.keys().next().value ?? key);
    return facts;
  }
}

export interface IndexEvidenceOptions {
  dialect: EngineDialect;
  log: Logger;
  /** sandbox target (the demo): candidates may be proven by a build that is rolled back */
  sandboxProof: boolean;
  /** findings may show statement samples with their literals (config redaction.showSamples) */
  showSamples: boolean;
}

/** A round stopped before every candidate was verified (budget spent, or a cycle wants the session). */
export class EvidenceInterrupted extends Error {
  constructor() {
    super('verification round interrupted');
  }
}

export class IndexEvidence {
  private readonly parsed = new Map<string, StatementShape | null>();
  private readonly facts = new FactsCache();
  /** tableVersions() of the last tables-probe run seen (recomputed only when it ran again) */
  private versions: { stamp: number; map: Map<string, string> } = { stamp: Number.NaN, map: new Map() };
  private readonly cache: VerificationCache;
  private readonly fallback: VerificationCache;

  constructor(private readonly options: IndexEvidenceOptions) {
    this.cache = new VerificationCache(options.log);
    this.fallback = new VerificationCache(options.log);
  }

  private async shape(text: string): Promise<StatementShape | null> {
    let shape = this.parsed.get(text);
    if (shape === undefined) {
      shape = await this.options.dialect.parse(text);
      if (this.parsed.size >= MAX_PARSED) this.parsed.clear();
      this.parsed.set(text, shape);
    }
    return shape;
  }

  /**
   * Every index candidate of the snapshot's statements, verified. Throws EvidenceInterrupted
   * when `stop()` says so between two database calls.
   */
  async gather(
    snapshot: Snapshot,
    verifier: IndexVerifier,
    t: Thresholds,
    stop: () => boolean = () => false,
  ): Promise<VerifiedCandidate[]> {
    const { log, sandboxProof, showSamples } = this.options;
    const check = () => {
      if (stop()) throw new EvidenceInterrupted();
    };
    const sources: SourceStatement[] = [];
    for (const raw of statementSources(snapshot, t, showSamples)) {
      const shape = await this.shape(raw.text);
      if (shape) sources.push({ ...raw, shape });
    }
    if (sources.length === 0) return [];
    // facts of every table the statements name
    const stamp = snapshot.signals.tables?.at ?? 0;
    if (this.versions.stamp !== stamp) this.versions = { stamp, map: tableVersions(snapshot.signals.tables) };
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
      check();
      try {
        const f = await this.facts.get(
          verifier,
          w.database,
          w.table,
          [...w.columns].sort(),
          stamp,
          this.versions.map,
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
      check();
      const ids = new Set(candidate.statements.map((s) => s.id));
      const companions = candidates
        .filter((o) => o !== candidate && o.statements.some((s) => ids.has(s.id)))
        .map((o) => ({ table: o.table, columns: o.columns }));
      let verification = await this.cache.verify(verifier, candidate, f, snapshot.at, t, companions);
      // A sandbox build that failed (lock timeout, disk) turns the what-if off on that
      // connection; the candidate is then judged on EXPLAIN evidence instead of dropped.
      if (verification === null && sandboxProof && !(await verifier.whatIf()))
        verification = await this.fallback.verify(verifier, candidate, f, snapshot.at, t, companions);
      log.debug(
        { candidate: candidate.columns, table: candidate.table, verification },
        'index candidate verified',
      );
      out.push({ candidate, facts: f, verification });
    }
    return out;
  }
}
