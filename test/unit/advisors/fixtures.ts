import type { AdvisorInput } from '../../../agent/advisors/context.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../../../agent/config/thresholds.js';
import type { Rates } from '../../../agent/snapshot/rates.js';
import type {
  ConnectionSignals,
  EngineName,
  Signals,
  TableSignals,
} from '../../../agent/snapshot/signals.js';
import type { Snapshot } from '../../../agent/snapshot/snapshot.js';

export const T0 = Date.UTC(2026, 0, 1);

export function snapshot(at: number, signals: Signals, engine: EngineName = 'postgres'): Snapshot {
  return {
    target: 'db',
    engine,
    at,
    up: true,
    downReason: null,
    serverVersion: '15.20',
    signals,
    probes: {},
  };
}

export function connections(
  at: number,
  used: number,
  over: Partial<ConnectionSignals> = {},
): ConnectionSignals {
  return {
    at,
    used,
    max: 100,
    maxSetting: 100,
    reserved: 0,
    byState: { active: used, idle: 0, idleInTransaction: 0, waitingLock: 0, other: 0 },
    oldestTransactionSeconds: null,
    oldestIdleInTransactionSeconds: null,
    peakUsed: null,
    refusedTotal: null,
    abortedConnectsTotal: null,
    perConnectionMemoryBytes: 4 * 1024 * 1024,
    ...over,
  };
}

export const NO_RATES: Rates = { cache: null, statements: null, tables: null };

export function input(
  history: Snapshot[],
  over: { rates?: Rates; thresholds?: Partial<Thresholds>; engine?: EngineName } = {},
): AdvisorInput {
  return {
    target: 'db',
    engine: over.engine ?? 'postgres',
    history,
    rates: over.rates ?? NO_RATES,
    thresholds: { ...DEFAULT_THRESHOLDS, ...over.thresholds },
    runbookBaseUrl: 'http://agent/runbooks',
  };
}

export function tables(at: number, over: Partial<TableSignals> = {}): TableSignals {
  return { at, resetAt: null, tables: [], indexes: [], foreignKeys: [], ...over };
}
