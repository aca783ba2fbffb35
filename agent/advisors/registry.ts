import type { VerifiedCandidate } from '../evidence/verify.js';
import type { Finding, FindingKind } from '../findings/finding.js';
import { auditPosture } from './audit-posture.js';
import type { AdvisorInput } from './context.js';
import { duplicateIndex } from './duplicate-index.js';
import { extensionMissing } from './extension-missing.js';
import { fkWithoutIndex } from './fk-without-index.js';
import { idleInTransaction } from './idle-in-transaction.js';
import { inactiveSlot } from './inactive-slot.js';
import { longRunningTransaction } from './long-running-transaction.js';
import { lowCacheHit } from './low-cache-hit.js';
import { missingIndex } from './missing-index.js';
import { missingPrivilege } from './missing-privilege.js';
import { poolSaturation } from './pool-saturation.js';
import { readSplitCandidate } from './read-split-candidate.js';
import { replicaLag } from './replica-lag.js';
import { replicationBroken } from './replication-broken.js';
import { slowQuery } from './slow-query.js';
import { staleStatistics } from './stale-statistics.js';
import { tableBloat } from './table-bloat.js';
import { unusedIndex } from './unused-index.js';

// Every finding kind and the advisor that raises it, in the order findings are listed. The
// compiler checks the list is complete (the Record type): a kind added to FINDING_KINDS without
// an advisor here does not compile.

export interface AdvisorContext {
  /** index candidates verified by the evidence queue; null when there is no fresh evidence this cycle */
  verified: readonly VerifiedCandidate[] | null;
  /** this cycle's findings of the kinds in `explainedBy` */
  explaining: readonly Finding[];
}

export interface Advisor {
  /** kinds whose findings may explain this one's (they are advised first and handed in) */
  explainedBy: readonly FindingKind[];
  /** pure; null: cannot judge this cycle (no evidence), its last findings stand */
  advise(input: AdvisorInput, context: AdvisorContext): Finding[] | null;
}

export const ADVISORS: Readonly<Record<FindingKind, Advisor>> = {
  'pool-saturation': {
    explainedBy: ['missing-index', 'slow-query'],
    advise: (input, context) => poolSaturation(input, context.explaining),
  },
  'missing-index': {
    explainedBy: [],
    advise: (input, context) => (context.verified === null ? null : missingIndex(input, context.verified)),
  },
  'fk-without-index': { explainedBy: [], advise: fkWithoutIndex },
  'slow-query': {
    explainedBy: ['missing-index'],
    advise: (input, context) => slowQuery(input, context.explaining),
  },
  'low-cache-hit': { explainedBy: [], advise: lowCacheHit },
  'idle-in-transaction': { explainedBy: [], advise: idleInTransaction },
  'long-running-transaction': { explainedBy: [], advise: longRunningTransaction },
  'extension-missing': { explainedBy: [], advise: extensionMissing },
  'missing-privilege': { explainedBy: [], advise: missingPrivilege },
  'stale-statistics': { explainedBy: [], advise: staleStatistics },
  'table-bloat': { explainedBy: [], advise: tableBloat },
  'unused-index': { explainedBy: [], advise: unusedIndex },
  'duplicate-index': { explainedBy: [], advise: duplicateIndex },
  'replica-lag': { explainedBy: [], advise: replicaLag },
  'replication-broken': { explainedBy: [], advise: replicationBroken },
  'inactive-slot': { explainedBy: [], advise: inactiveSlot },
  'read-split-candidate': { explainedBy: [], advise: readSplitCandidate },
  'audit-posture': { explainedBy: [], advise: auditPosture },
};

/** The kinds in an order where every advisor comes after those that explain it. */
export function adviseOrder(advisors: Readonly<Record<FindingKind, Advisor>>): FindingKind[] {
  const order: FindingKind[] = [];
  const visiting = new Set<FindingKind>();
  const visit = (kind: FindingKind) => {
    if (order.includes(kind)) return;
    if (visiting.has(kind)) throw new Error(`advisor registry: ${kind} explains itself through a cycle`);
    visiting.add(kind);
    for (const before of advisors[kind].explainedBy) visit(before);
    visiting.delete(kind);
    order.push(kind);
  };
  for (const kind of Object.keys(advisors) as FindingKind[]) visit(kind);
  return order;
}
