import type { AuditRecord } from '../audit/chain.js';
import { appendAudit } from '../audit/log.js';
import { resolveTarget } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { dialectOf } from '../engines/dialects.js';
import { drivers } from '../engines/drivers.js';
import type { AppliedAction, TargetSpec } from '../engines/engine.js';
import type { FixAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import type { Logger } from '../log.js';
import { samplingLimits } from '../runtime/target-runner.js';
import type { StatementSignals } from '../snapshot/signals.js';
import type { JsonValue, Store } from '../state/store.js';
import { decideApply } from './policy.js';

// `dbdiag apply FINDING_ID`: one active finding's fix actions, run on a connection of their own
// through the engine's executor (online form, lock timeout, retries), between two measurements
// of the statements the finding names (calls and time deltas from the statement statistics,
// over apply.validationSeconds each). Verified when their mean time fell; otherwise reverted
// by the actions' rollbacks when apply.autoRevert says so. Every apply and refusal is audited.

/** A fix must make the targeted statements at least this much faster to count as verified: less is within what a busy server's own noise moves a mean over a short window. */
const MIN_IMPROVEMENT = 0.25;

export interface ApplyRequest {
  findingId: string;
  /** the user or token name */
  who: string;
  confirmed: boolean;
  now?: number;
  log?: Logger;
}

export interface Measurement {
  calls: number;
  meanMs: number | null;
}

export interface Verification {
  before: Measurement;
  after: Measurement;
  /** verified: faster by MIN_IMPROVEMENT or more; no-effect; regressed; unmeasured: no calls to compare */
  verdict: 'verified' | 'no-effect' | 'regressed' | 'unmeasured';
}

export interface ApplyOutcome {
  status: 'refused' | 'applied' | 'failed' | 'reverted';
  reason: string;
  statements: string[];
  verification: Verification | null;
  audit: AuditRecord;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function statementSample(spec: TargetSpec, config: Config, log: Logger | undefined) {
  const { rootLogger } = await import('../log.js');
  const session = await drivers[spec.engine].connect(spec, samplingLimits(config), log ?? rootLogger);
  return {
    async read(): Promise<StatementSignals | null> {
      const outcome = await session.sample('statements');
      return outcome.status === 'ok' ? (outcome.signals.statements ?? null) : null;
    },
    close: () => session.close(),
  };
}

/** Calls and mean time of the given statements between two cumulative readings. */
export function measure(
  from: StatementSignals | null,
  to: StatementSignals | null,
  ids: readonly string[],
): Measurement {
  if (from === null || to === null) return { calls: 0, meanMs: null };
  let calls = 0;
  let seconds = 0;
  for (const id of ids) {
    const a = from.statements.find((s) => s.id === id);
    const b = to.statements.find((s) => s.id === id);
    if (b === undefined) continue;
    calls += b.calls - (a?.calls ?? 0);
    seconds += b.totalSeconds - (a?.totalSeconds ?? 0);
  }
  return { calls, meanMs: calls > 0 ? (seconds / calls) * 1000 : null };
}

export function judge(before: Measurement, after: Measurement): Verification['verdict'] {
  if (before.meanMs === null || after.meanMs === null) return 'unmeasured';
  if (after.meanMs <= before.meanMs * (1 - MIN_IMPROVEMENT)) return 'verified';
  if (after.meanMs >= before.meanMs * (1 + MIN_IMPROVEMENT)) return 'regressed';
  return 'no-effect';
}

const rollbacksOf = (applied: readonly AppliedAction[]): FixAction[] =>
  applied
    .map((a) => a.action.rollback)
    .filter((a): a is FixAction => a !== null)
    .reverse();

export async function applyFinding(
  config: Config,
  store: Store,
  request: ApplyRequest,
): Promise<ApplyOutcome> {
  const started = request.now ?? Date.now();
  const active = await store.findings({ status: 'active' });
  const tracked = active.find((t) => t.finding.id === request.findingId);
  if (!tracked)
    throw new Error(`no active finding ${request.findingId} in the store (dbdiag findings lists them)`);
  const finding: Finding = tracked.finding;
  const targetConfig = config.targets.find((t) => t.name === finding.target);
  if (!targetConfig)
    throw new Error(`finding ${finding.id}: target "${finding.target}" is not in the config`);
  const saturation =
    active.find((t) => t.finding.kind === 'pool-saturation' && t.finding.target === finding.target)
      ?.finding ?? null;
  const audit = (entry: {
    action: 'apply' | 'apply-refused';
    statements: string[];
    result: string;
    detail: string | null;
    verification: Verification | null;
  }) =>
    appendAudit(store, {
      ...entry,
      who: request.who,
      target: finding.target,
      finding: finding.id,
      startedAt: started,
      finishedAt: Date.now(),
      verification: entry.verification as unknown as JsonValue,
      data: null,
    });

  const verdict = decideApply({
    apply: config.apply,
    finding,
    sandbox: targetConfig.sandbox === true,
    confirmed: request.confirmed,
    now: started,
    saturation,
  });
  if (!verdict.allowed) {
    const record = await audit({
      action: 'apply-refused',
      statements: [],
      result: 'refused',
      detail: verdict.reason,
      verification: null,
    });
    return { status: 'refused', reason: verdict.reason, statements: [], verification: null, audit: record };
  }

  const spec = resolveTarget(targetConfig);
  const dialect = dialectOf(spec.engine);
  const ids = Array.isArray(finding.evidence.statementIds)
    ? (finding.evidence.statementIds as unknown[]).map(String)
    : [];
  const windowMs = config.apply.validationSeconds * 1000;
  const sampler = await statementSample(spec, config, request.log);
  const statements: string[] = [];
  try {
    const b0 = await sampler.read();
    await sleep(windowMs);
    const before = measure(b0, await sampler.read(), ids);

    const connection = await drivers[spec.engine].openActionConnection(spec, {
      statementTimeoutMs: config.apply.statementTimeoutSeconds * 1000,
    });
    let applied: AppliedAction[];
    try {
      applied = await dialect.applyActions(connection, finding.fix?.actions ?? [], {
        lockTimeoutSeconds: config.apply.lockTimeoutSeconds,
        onRetry: (action, attempt) =>
          request.log?.warn({ action: action.type, attempt }, 'apply: lock timeout expired, retrying'),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const record = await audit({
        action: 'apply',
        statements,
        result: 'failed',
        detail: reason,
        verification: null,
      });
      return { status: 'failed', reason, statements, verification: null, audit: record };
    } finally {
      await connection.close();
    }
    for (const a of applied) statements.push(...a.statements);

    const a0 = await sampler.read();
    await sleep(windowMs);
    const after = measure(a0, await sampler.read(), ids);
    const verification: Verification = { before, after, verdict: judge(before, after) };
    const failedToHelp = verification.verdict === 'regressed' || verification.verdict === 'no-effect';
    if (failedToHelp && config.apply.autoRevert) {
      const revert = await drivers[spec.engine].openActionConnection(spec, {
        statementTimeoutMs: config.apply.statementTimeoutSeconds * 1000,
      });
      try {
        const undone = await dialect.applyActions(revert, rollbacksOf(applied), {
          lockTimeoutSeconds: config.apply.lockTimeoutSeconds,
        });
        for (const u of undone) statements.push(...u.statements);
      } finally {
        await revert.close();
      }
      const reason = `${verification.verdict}: mean ${fmt(before.meanMs)} -> ${fmt(after.meanMs)}; reverted by the rollback action`;
      const record = await audit({
        action: 'apply',
        statements,
        result: 'reverted',
        detail: reason,
        verification,
      });
      return { status: 'reverted', reason, statements, verification, audit: record };
    }
    const reason = `${verification.verdict}: mean ${fmt(before.meanMs)} -> ${fmt(after.meanMs)} (${verdict.why})`;
    const record = await audit({
      action: 'apply',
      statements,
      result: verification.verdict,
      detail: reason,
      verification,
    });
    return { status: 'applied', reason, statements, verification, audit: record };
  } finally {
    await sampler.close();
  }
}

const fmt = (ms: number | null): string => (ms === null ? 'unmeasured' : `${ms.toFixed(2)} ms`);
