import type { Thresholds } from '../config/thresholds.js';
import type { IndexSpec, IndexVerifier, PlanAccess, PlanCost, TableFacts } from '../engines/engine.js';
import type { Logger } from '../log.js';
import { redactErrorMessage } from '../slowlog/redact.js';
import { type Candidate, candidateKey } from './candidates.js';

// The one step of index advice that talks to the database, through the engine's
// IndexVerifier: plan costs before/after a hypothetical index (HypoPG) or the plan as it is
// (EXPLAIN evidence). Results are cached per statement + candidate + the table's current index
// set, so a steady workload costs no EXPLAIN after the first cycle.

/** A candidate with what the database said about it: the index advisor's input. */
export interface VerifiedCandidate {
  candidate: Candidate;
  facts: TableFacts;
  verification: Verification | null;
}

export interface StatementPlan {
  statementId: string;
  before: PlanCost | null;
  /** with the hypothetical index (what-if only) */
  after: PlanCost | null;
}

export interface Verification {
  method: 'hypopg' | 'explain';
  /** the columns proven best: the candidate or a shorter prefix of it */
  columns: string[];
  plans: StatementPlan[];
  /** the other candidates of the same statements it was judged with */
  companions: IndexSpec[];
  /** estimated index size from the what-if facility, when it says */
}

function indexSignature(facts: TableFacts | undefined): string {
  return (facts?.indexes ?? []).map((i) => `${i.name}:${i.columns.join(',')}`).join(';');
}

function sumCost(plans: readonly (PlanCost | null)[]): number | null {
  let sum = 0;
  for (const p of plans) {
    if (!p) return null;
    sum += p.cost;
  }
  return sum;
}

/** A hypothetical index shows up in plans under a name HypoPG makes up, e.g. `<13543>btree_orders_customer_id`. */
export function usesHypothetical(accesses: readonly PlanAccess[]): boolean {
  return accesses.some((a) => a.method === 'index' && (a.index ?? '').startsWith('<'));
}

export class VerificationCache {
  private readonly entries = new Map<string, { at: number; value: Verification | null }>();

  constructor(private readonly log: Logger) {}

  async verify(
    verifier: IndexVerifier,
    candidate: Candidate,
    facts: TableFacts | undefined,
    now: number,
    thresholds: Thresholds,
    companions: readonly IndexSpec[] = [],
  ): Promise<Verification | null> {
    const key = `${candidateKey(candidate)}|${candidate.statements.map((s) => s.id).join(',')}|${indexSignature(facts)}|${companions
      .map((c) => candidateKey(c))
      .join(';')}`;
    const cached = this.entries.get(key);
    if (cached && now - cached.at < thresholds.verifyCacheSeconds * 1000) return cached.value;
    let value: Verification | null = null;
    try {
      value = await this.run(verifier, candidate, thresholds, companions);
    } catch (error) {
      // the message may quote the sample's literals: logged redacted, without the stack
      this.log.debug(
        { reason: redactErrorMessage(error), candidate: candidateKey(candidate) },
        'index verification failed',
      );
    }
    this.entries.set(key, { at: now, value });
    // bounded: drop entries older than the TTL
    for (const [k, e] of this.entries)
      if (now - e.at >= thresholds.verifyCacheSeconds * 1000) this.entries.delete(k);
    return value;
  }

  /**
   * `companions`: the other candidates of the same statements. A JOIN may need an index on
   * both sides before either pays off, so each candidate is planned alongside them.
   */
  private async run(
    verifier: IndexVerifier,
    candidate: Candidate,
    thresholds: Thresholds,
    companions: readonly IndexSpec[],
  ): Promise<Verification | null> {
    const statements = candidate.statements;
    const before: (PlanCost | null)[] = [];
    for (const s of statements) before.push(await verifier.explain(s.database, s.text));
    if (!(await verifier.whatIf())) {
      return {
        method: 'explain',
        columns: candidate.columns,
        companions: [...companions],
        plans: statements.map((s, i) => ({ statementId: s.id, before: before[i] ?? null, after: null })),
      };
    }
    // Try the candidate and each shorter prefix; keep the shortest within tolerance of the best.
    const tried: { columns: string[]; after: (PlanCost | null)[] }[] = [];
    for (let n = candidate.columns.length; n >= 1; n--) {
      const columns = candidate.columns.slice(0, n);
      const opclass = Object.fromEntries(
        Object.entries(candidate.opclass ?? {}).filter(([c]) => columns.includes(c)),
      );
      const spec: IndexSpec = {
        table: candidate.table,
        columns,
        ...(Object.keys(opclass).length > 0 ? { opclass } : {}),
      };
      const after: (PlanCost | null)[] = [];
      for (const s of statements)
        after.push(await verifier.explain(s.database, s.text, [spec, ...companions]));
      tried.push({ columns, after });
    }
    const costs = tried.map((t) => sumCost(t.after));
    const best = Math.min(...costs.map((c) => c ?? Number.POSITIVE_INFINITY));
    if (!Number.isFinite(best)) return null;
    let chosen = tried[0];
    for (let i = tried.length - 1; i >= 0; i--) {
      const c = costs[i];
      if (c !== null && c !== undefined && c <= best * (1 + thresholds.indexPrefixTolerance)) {
        chosen = tried[i];
        break;
      }
    }
    if (!chosen) return null;
    return {
      method: 'hypopg',
      columns: chosen.columns,
      companions: [...companions],
      plans: statements.map((s, i) => ({
        statementId: s.id,
        before: before[i] ?? null,
        after: chosen.after[i] ?? null,
      })),
    };
  }
}

export { sumCost };
