// Checks for numeric flags: yargs turns `--max-classes abc` into NaN and accepts 0.001 or 1e9;
// these name the flag and its range instead.

export interface NumberRange {
  min: number;
  max: number;
  /** whole numbers only */
  integer?: boolean;
  /** what the number counts, for the message ("seconds") */
  unit?: string;
}

/** null when `value` is acceptable for `--flag`, else the one-line problem. */
export function numberProblem(flag: string, value: unknown, range: NumberRange): string | null {
  if (value === undefined) return null;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= range.min &&
    value <= range.max &&
    (!range.integer || Number.isInteger(value));
  if (ok) return null;
  const kind = range.integer ? 'a whole number' : 'a number';
  const unit = range.unit ? ` ${range.unit}` : '';
  return `--${flag} must be ${kind} from ${range.min} to ${range.max}${unit}`;
}

/** For a yargs .check(): throws the first problem among `checks`. */
export function checkNumbers(args: Record<string, unknown>, checks: Record<string, NumberRange>): true {
  for (const [flag, range] of Object.entries(checks)) {
    const problem = numberProblem(flag, args[flag], range);
    if (problem !== null) throw new Error(problem);
  }
  return true;
}
