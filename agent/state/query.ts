import type { FindingQuery } from './store.js';

// The finding-history filters as people type them, shared by /api/findings and `dbdiag findings`.

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "7d", "24h", "30m", "2w" (ago) or an ISO 8601 time -> epoch ms; throws a one-line error otherwise. */
export function parseSince(text: string, now: number): number {
  const trimmed = text.trim();
  const relative = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(trimmed);
  if (relative) return now - Number(relative[1]) * (UNIT_MS[relative[2]!.toLowerCase()] ?? 0);
  const at = Date.parse(trimmed);
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed) && Number.isFinite(at)) return at;
  throw new Error(
    `since "${text}": give a duration (30m, 24h, 7d, 2w) or an ISO 8601 time (2026-01-31T08:00:00Z)`,
  );
}

export type StatusFilter = 'active' | 'resolved' | 'all';

export function parseStatus(text: string | undefined | null): StatusFilter {
  if (text === undefined || text === null || text === '') return 'all';
  if (text === 'active' || text === 'resolved' || text === 'all') return text;
  throw new Error(`status "${text}": give active, resolved or all`);
}

export interface FindingFilter {
  status: StatusFilter;
  since?: number;
  target?: string;
  kind?: string;
}

/** The store query for a filter ('all' is no status condition). */
export function storeQuery(filter: FindingFilter, limit?: number): FindingQuery {
  return {
    ...(filter.status === 'all' ? {} : { status: filter.status }),
    ...(filter.since !== undefined ? { since: filter.since } : {}),
    ...(filter.target ? { target: filter.target } : {}),
    ...(filter.kind ? { kind: filter.kind } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}
