import type { ReportKind } from './model.js';

// The period a report covers: --from/--to, or --period ending now, or the kind's own length
// (daily 24 h, weekly 7 days, monthly 30 days; a custom report without one covers 24 h).

const DAY_MS = 86_400_000;
export const KIND_LENGTH_MS: Record<ReportKind, number> = {
  daily: DAY_MS,
  weekly: 7 * DAY_MS,
  monthly: 30 * DAY_MS,
  custom: DAY_MS,
};

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: DAY_MS, w: 7 * DAY_MS };

/** "90s", "30m", "24h", "7d", "2w" -> ms; a one-line error otherwise */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim());
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2]!.toLowerCase()] ?? 0) : 0;
  if (!(ms > 0)) throw new Error(`period "${text}": give a duration such as 30m, 24h, 7d or 2w`);
  return ms;
}

/** an ISO 8601 time -> epoch ms; a one-line error otherwise */
export function parseTime(text: string, flag: string): number {
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim()) || !Number.isFinite(at))
    throw new Error(`${flag} "${text}": give an ISO 8601 time such as 2026-01-31T08:00:00Z`);
  return at;
}

export function resolvePeriod(
  kind: ReportKind,
  options: { period?: string | undefined; from?: string | undefined; to?: string | undefined },
  now: number,
): { from: number; to: number } {
  if (options.period !== undefined && options.from !== undefined)
    throw new Error('give --period or --from, not both');
  const to = options.to !== undefined ? parseTime(options.to, '--to') : now;
  const from =
    options.from !== undefined
      ? parseTime(options.from, '--from')
      : to - (options.period !== undefined ? parseDuration(options.period) : KIND_LENGTH_MS[kind]);
  if (from >= to) throw new Error(`the period is empty: --from must be before --to`);
  return { from, to };
}
