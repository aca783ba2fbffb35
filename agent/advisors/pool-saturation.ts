import type { FixAction } from '../findings/actions.js';
import type { Finding } from '../findings/finding.js';
import type { ConnectionSignals } from '../snapshot/signals.js';
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

/** Connections held idle inside a transaction are cut after this (the engine may apply a floor). */
const OVERSIZED_IDLE_TIMEOUT_SECONDS = 60;

// The heart of the incident: connections at the ceiling. Judged over a window of samples
// (or, in a one-shot check, over the samples there are), then explained: the concurrency the
// workload needs by Little's law (statements/s x mean seconds = total statement seconds per
// second) against the connections held, and the active / idle / idle-in-transaction split.

interface Sample {
  at: number;
  connections: ConnectionSignals;
  ratio: number;
}

export function saturationRatio(c: ConnectionSignals): number {
  const usable = Math.max(1, c.max - c.reserved);
  return c.used / usable;
}

function windowSamples(input: AdvisorInput): Sample[] {
  const seen = new Set<number>();
  const samples: Sample[] = [];
  for (const snapshot of input.history) {
    const c = snapshot.signals.connections;
    if (!snapshot.up || !c || seen.has(c.at)) continue;
    seen.add(c.at);
    samples.push({ at: c.at, connections: c, ratio: saturationRatio(c) });
  }
  const last = samples.at(-1);
  if (!last) return [];
  const from = last.at - input.thresholds.saturationWindowSeconds * 1000;
  // The samples inside the window, plus the one just before it (so the window is covered).
  const firstInside = samples.findIndex((s) => s.at >= from);
  return samples.slice(Math.max(0, firstInside - 1));
}

/** Concurrency the workload needs: sum of statement seconds per wall-clock second (Little's law). */
export function neededConcurrency(input: AdvisorInput): number | null {
  const rates = input.rates.statements;
  if (!rates || rates.seconds <= 0) return null;
  const busy = rates.items.reduce((sum, s) => sum + s.totalSeconds, 0);
  return busy / rates.seconds;
}

/** Stop-gap max_connections: the observed peak with headroom, rounded up to ten, never below today's. */
export function stopGapMaxConnections(peak: number, currentMax: number, headroom: number): number {
  return Math.max(currentMax, Math.ceil((peak * headroom) / 10) * 10);
}

/** Memory one more connection may take: the connections probe's figure, else the settings' sort memory. */
function perConnectionBytes(input: AdvisorInput, c: ConnectionSignals): number | null {
  if (c.perConnectionMemoryBytes !== null) return c.perConnectionMemoryBytes;
  return latest(input)?.signals.settings?.sortMemoryBytes ?? null;
}

export interface SaturationLevel {
  severity: 'critical' | 'warning' | null;
  /** the ratio the severity stands for (critical or warning ratio) */
  ratio: number;
  /** samples of the window at or above that ratio */
  samplesAtLevel: number;
  samples: number;
}

/**
 * The severity a window of ratios earns: a level holds when at least saturationWindowShare
 * of the samples reach it (a real incident flickers: one sample taken while a connection was
 * being re-opened must not downgrade it) and the latest sample is still at or above the
 * warning ratio (it is happening now, not a while ago).
 */
export function saturationLevel(ratios: readonly number[], t: AdvisorInput['thresholds']): SaturationLevel {
  const n = ratios.length;
  const at = (level: number) => ratios.filter((r) => r >= level).length;
  const needed = Math.ceil(t.saturationWindowShare * n - 1e-9);
  const current = (ratios.at(-1) ?? 0) >= t.saturationWarningRatio;
  const critical = at(t.saturationCriticalRatio);
  if (n > 0 && current && critical >= needed)
    return { severity: 'critical', ratio: t.saturationCriticalRatio, samplesAtLevel: critical, samples: n };
  const warning = at(t.saturationWarningRatio);
  return {
    severity: n > 0 && current && warning >= needed ? 'warning' : null,
    ratio: t.saturationWarningRatio,
    samplesAtLevel: warning,
    samples: n,
  };
}

export function poolSaturation(input: AdvisorInput, explaining: readonly Finding[]): Finding[] {
  const t = input.thresholds;
  const samples = windowSamples(input);
  const last = samples.at(-1);
  if (!last) return [];
  const waiting = latest(input)?.signals.pooler?.pools.reduce((n, p) => n + p.clientsWaiting, 0) ?? 0;
  const minRatio = Math.min(...samples.map((s) => s.ratio));
  const level = saturationLevel(
    samples.map((s) => s.ratio),
    t,
  );
  if (level.severity === null && waiting === 0) return [];

  const c = last.connections;
  const usable = c.max - c.reserved;
  const peak = Math.max(...samples.map((s) => s.connections.used), c.peakUsed ?? 0);
  const spanSeconds = (last.at - (samples[0]?.at ?? last.at)) / 1000;
  const critical = level.severity === 'critical';
  const needed = neededConcurrency(input);
  const held = c.used;
  const states = c.byState;

  // Which statements hold the connections: the top by time in the last interval, or cumulative.
  const slow = (input.rates.statements?.items ?? []).slice(0, 5);
  const slowIds = new Set(slow.map((s) => s.id));
  const related = explaining
    .filter((f) => {
      const ids = f.evidence.statementIds;
      return Array.isArray(ids) && ids.some((id) => typeof id === 'string' && slowIds.has(id));
    })
    .map((f) => f.id);
  // Without interval rates (first cycle of a check), every explaining finding is a suspect.
  if (slow.length === 0) related.push(...explaining.map((f) => f.id));

  // Pools are oversized (or leaking) when neither the interval's demand nor the window's busiest
  // sample needed the connections held: app pools that grew during a burst of slow statements
  // hold idle sessions between the bursts, and one quiet interval must not turn the slow
  // statements' incident into a pool-sizing one.
  const peakActive = Math.max(...samples.map((s) => s.connections.byState.active));
  const oversized = needed !== null && Math.max(needed, peakActive) * t.heldToNeededRatio < held;
  // the setting a person raises (MySQL/MariaDB keep their admin slot beyond it)
  const newMax = stopGapMaxConnections(peak, c.maxSetting, t.connectionHeadroomFactor);
  const perConn = perConnectionBytes(input, c);
  const extraMemory = perConn === null ? null : (newMax - c.maxSetting) * perConn;
  // the reserved slots the setting counts (PostgreSQL's), which the applications cannot take
  const reservedWithin = Math.max(0, c.reserved - (c.max - c.maxSetting));
  const appPool = Math.max(1, newMax - reservedWithin - 5);

  const cause = oversized
    ? `connections are held, not used: ${held} held for ${round(needed ?? 0, 1)} needed by the workload (${states.idle} idle, ${states.idleInTransaction} idle in transaction)`
    : related.length > 0
      ? `statements got slow and hold their connections longer (${related.length} missing-index/slow-query finding(s) explain it)`
      : `the workload needs ~${needed === null ? '?' : round(needed, 1)} concurrent connections and holds ${held} (${states.active} active)`;

  // The actions, in the order a person takes them; prose steps stay beside them.
  const actions: FixAction[] = [];
  const statements: string[] = [];
  if (oversized) {
    const cap = setSetting(
      input,
      'idle-in-transaction-timeout',
      OVERSIZED_IDLE_TIMEOUT_SECONDS,
      null,
      'sessions idle past it end with an error the application must handle',
    );
    const pooler: FixAction = {
      type: 'pooler-setting',
      setting: 'pool_mode',
      value: 'transaction',
      lock: 'none',
      expectedSeconds: null,
      risk: 'session state (prepared statements, SET, advisory locks) does not survive transaction pooling',
      rollback: null,
    };
    actions.push(cap, pooler);
    statements.push(
      ...renderActions(input, [cap, pooler]).statements,
      `Shrink application pools: together they need ~${Math.ceil((needed ?? 1) * 2)} connections, not ${held}`,
    );
  }
  const raise = setSetting(
    input,
    'max-connections',
    newMax,
    c.maxSetting,
    'more memory: each connection has its own buffers',
  );
  const pools: FixAction = {
    type: 'pool-size',
    maxTotal: appPool,
    lock: 'none',
    expectedSeconds: null,
    risk: 'requests queue in the application pools instead of failing at the server',
    rollback: null,
  };
  actions.push(raise, pools);
  statements.push(...renderActions(input, [raise, pools]).statements);
  if (related.length > 0)
    statements.unshift('Fix the root cause first: apply the related missing-index findings');
  const setting = remedies(input).setting('max-connections');

  const levelText =
    level.severity === null || level.samplesAtLevel === level.samples
      ? `${Math.round((level.severity === null ? minRatio : level.ratio) * 100)}% or more for ${Math.round(spanSeconds)} s`
      : `${Math.round(level.ratio * 100)}% or more in ${level.samplesAtLevel} of ${level.samples} samples over ${Math.round(spanSeconds)} s`;
  const summary = `${c.used}/${usable} connections in use (${levelText})${waiting > 0 ? `, ${waiting} pooler clients waiting` : ''}: ${cause}`;

  return [
    makeFinding(input, 'pool-saturation', {
      severity: critical || waiting > 0 ? 'critical' : 'warning',
      object: 'connections',
      summary,
      evidence: {
        used: c.used,
        max: c.max,
        reserved: c.reserved,
        ratio: round(last.ratio, 3),
        minRatioInWindow: round(minRatio, 3),
        // the level the severity stands for and how many of the window's samples reached it
        levelRatio: level.ratio,
        samplesAtLevel: level.samplesAtLevel,
        windowSeconds: round(spanSeconds, 1),
        samples: samples.length,
        peak,
        active: states.active,
        idle: states.idle,
        idleInTransaction: states.idleInTransaction,
        waitingLock: states.waitingLock,
        poolerClientsWaiting: waiting,
        neededConcurrency: needed === null ? null : round(needed, 2),
        peakActiveInWindow: peakActive,
        diagnosis: oversized
          ? 'oversized-or-leaking-pools'
          : related.length > 0
            ? 'slow-statements'
            : 'demand',
        slowStatements: slow.map((s) => ({
          id: s.id,
          fingerprint: s.fingerprint.slice(0, 200),
          callsPerSecond: round(s.calls / Math.max(1e-9, input.rates.statements?.seconds ?? 1), 2),
          meanSeconds: s.meanSeconds === null ? null : round(s.meanSeconds, 4),
        })),
      },
      fix: {
        summary: `Stop-gap: max_connections ${c.maxSetting} -> ${newMax} (peak ${peak} x ${t.connectionHeadroomFactor})${
          extraMemory === null ? '' : `, up to ${formatBytes(extraMemory)} more memory`
        }; ${oversized ? 'then shrink the pools / add a pooler' : 'then fix what made statements slow'}`,
        actions,
        statements,
        risk: `${setting.risk} Each extra connection may allocate its own sort/hash and session buffers${perConn === null ? '' : ` (${formatBytes(perConn)})`}.`,
        rollback: `${rollbackText(input, [raise], 'None needed.')} Restore the previous pool sizes.`,
        details: {
          currentMaxConnections: c.maxSetting,
          proposedMaxConnections: newMax,
          proposedAppPoolTotal: appPool,
          extraMemoryBytes: extraMemory,
        },
      },
      related,
    }),
  ];
}
