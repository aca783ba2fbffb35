import type { Config } from '../config/schema.js';
import type { Finding } from '../findings/finding.js';

// May this fix run now? Pure: the caller gathers the facts (issue #15 item 3). Sandbox targets
// freely; any other target needs the operator's explicit confirmation, the maintenance window
// when one is configured, and no saturation — unless the finding is the saturation's root
// cause (the saturation finding names it among its related findings) and the operator confirmed.

export interface PolicyInput {
  apply: Config['apply'];
  finding: Finding;
  sandbox: boolean;
  /** --yes, or the console's confirmation */
  confirmed: boolean;
  now: number;
  /** the target's active saturation finding, if any */
  saturation: Finding | null;
}

export type PolicyVerdict = { allowed: true; why: string } | { allowed: false; reason: string };

const minutesOf = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

export function insideWindow(window: { start: string; end: string }, now: number): boolean {
  const date = new Date(now);
  const minute = date.getUTCHours() * 60 + date.getUTCMinutes();
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  return start <= end ? minute >= start && minute < end : minute >= start || minute < end;
}

export function decideApply(input: PolicyInput): PolicyVerdict {
  const { apply, finding } = input;
  if (!apply.enabled)
    return { allowed: false, reason: 'apply is off: set apply.enabled: true in the config' };
  if ((finding.fix?.actions.length ?? 0) === 0)
    return { allowed: false, reason: `finding ${finding.id} has no fix actions to apply` };
  if (input.sandbox) return { allowed: true, why: 'sandbox target' };
  if (!input.confirmed)
    return { allowed: false, reason: `target "${finding.target}" is not a sandbox: confirm with --yes` };
  if (apply.window && !insideWindow(apply.window, input.now))
    return {
      allowed: false,
      reason: `outside the maintenance window ${apply.window.start}-${apply.window.end} UTC`,
    };
  if (input.saturation && input.saturation.id !== finding.id) {
    if (!input.saturation.related.includes(finding.id))
      return {
        allowed: false,
        reason: `target "${finding.target}" is saturated (${input.saturation.summary}) and this finding is not its cause`,
      };
    return { allowed: true, why: 'confirmed; root cause of the current saturation' };
  }
  return { allowed: true, why: 'confirmed' };
}
