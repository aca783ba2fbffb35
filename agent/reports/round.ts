// Rounding for reports: figures a person compares, not measurements to re-compute. Two reports
// of a quiet system should diff to nothing but their dates (pt-mysql-summary's idea), so times
// and sizes keep 3 significant digits, ratios 4 decimals, percentages whole numbers.

/** 3 significant digits (0.0012345 -> 0.00123, 123456 -> 123000); null stays null. */
export function sig(value: number | null, digits = 3): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  if (value === 0) return 0;
  return Number(value.toPrecision(digits));
}

/** a count: whole, and 3 significant digits past 1000 */
export function count(value: number): number {
  const whole = Math.round(value);
  return Math.abs(whole) < 1000 ? whole : (sig(whole) ?? 0);
}

/** a ratio in [0, 1] with 4 decimals */
export function ratio(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : Math.round(value * 10_000) / 10_000;
}

export function percent(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : Math.round(value);
}

/** an ISO 8601 time to the second (no milliseconds to diff) */
export function isoSecond(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
