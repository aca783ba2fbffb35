import type { EngineName, Signals } from './signals.js';

export type ProbeName =
  | 'connections'
  | 'pooler'
  | 'statements'
  | 'cache'
  | 'tables'
  | 'settings'
  | 'privileges'
  | 'replication'
  | 'runway'
  | 'audit';

/** 'partial': it ran, but a missing privilege hid part of what it reads (message says what and the GRANT) */
export type ProbeStatus = 'ok' | 'partial' | 'unsupported' | 'error' | 'not-due';

export interface ProbeReport {
  probe: ProbeName;
  status: ProbeStatus;
  /** when the probe last ran (epoch ms), null if never */
  lastRunAt: number | null;
  durationSeconds: number;
  /** error code (AgentError.code) or the reason a probe is unsupported */
  code: string | null;
  message: string | null;
}

/**
 * What the agent knows about one target after one sampling cycle. Signals of probes that were
 * not due this cycle are carried over from their last run (each group keeps its own `at`).
 */
export interface Snapshot {
  target: string;
  engine: EngineName;
  at: number;
  up: boolean;
  /** why the target is down (connection refused, too many connections, ...) */
  downReason: string | null;
  serverVersion: string | null;
  signals: Signals;
  probes: Partial<Record<ProbeName, ProbeReport>>;
}
