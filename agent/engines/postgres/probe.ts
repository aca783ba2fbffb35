import type { Logger } from '../../log.js';
import type { ProbeOutcome, SamplingLimits, TargetSpec } from '../engine.js';
import type { HelperFacts } from './helper.js';

// What a PostgreSQL probe gets from its session. Errors of `query` are raw node-postgres
// errors: the session classifies them (probes only catch the SQLSTATEs that mean
// "unsupported here", e.g. pg_stat_statements not preloaded).

export interface PgProbeContext {
  readonly target: TargetSpec;
  /** server_version_num, e.g. 150020 */
  readonly versionNum: number;
  readonly database: string;
  readonly user: string;
  /** the role can read every session's and statement's details (pg_read_all_stats, in pg_monitor) */
  readonly readsAllStats: boolean;
  readonly limits: SamplingLimits;
  readonly log: Logger;
  /** the privileges probe hands over what it found about the dbdiag helper (used from then on) */
  helperFacts?(facts: HelperFacts): void;
  query<R extends object>(sql: string, params?: unknown[]): Promise<R[]>;
}

/** One probe; it may keep state between cycles (caches), dropped with the session. */
export interface PgProbe {
  run(context: PgProbeContext): Promise<ProbeOutcome>;
  close?(): Promise<void>;
}

export type PgProbeFactory = () => PgProbe;

export function unsupported(reason: string): ProbeOutcome {
  return { status: 'unsupported', reason };
}

/** A float8/numeric column as a number; null stays null. */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}

export function numOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

export function epochMs(value: unknown): number | null {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

/** A failed query of a probe, already classified (the session turns it into a ProbeError). */
export class PgQueryError extends Error {
  constructor(
    readonly code: string,
    /** SQLSTATE when the server raised it */
    readonly sqlState: string | undefined,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'PgQueryError';
  }
}
