import type { FixAction } from '../findings/actions.js';
import type { ActionConnection, AppliedAction, ApplyOptions, EngineRemedies } from './engine.js';

// The executor of fix actions, shared by the engines (each gives its renderer and its error
// rules). The demo uses it today; apply and drills reuse it. It runs what the renderer
// writes, statement by statement, on a connection of its own.

export interface ApplyRules {
  remedies: EngineRemedies;
  /** the server gave up waiting for a lock (lock_timeout / lock_wait_timeout): worth a retry */
  isLockTimeout(error: unknown): boolean;
  /** what a failed attempt leaves behind, as actions that remove it (run best-effort) */
  cleanupAfterFailure(action: FixAction): FixAction[];
}

const DEFAULT_ATTEMPTS = 3;

function withLockTimeout(action: FixAction, seconds: number | undefined): FixAction {
  if (seconds === undefined) return action;
  if (action.type === 'create-index' || action.type === 'drop-index')
    return { ...action, lockTimeoutSeconds: seconds };
  return action;
}

export async function applyWithRules(
  rules: ApplyRules,
  connection: ActionConnection,
  actions: readonly FixAction[],
  options: ApplyOptions = {},
): Promise<AppliedAction[]> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const applied: AppliedAction[] = [];
  for (const original of actions) {
    const action = withLockTimeout(original, options.lockTimeoutSeconds);
    const { statements } = rules.remedies.render(action);
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        for (const statement of statements) await connection.query(statement);
        applied.push({
          action,
          statements,
          attempts: attempt,
          seconds: (performance.now() - started) / 1000,
        });
        break;
      } catch (error) {
        for (const cleanup of rules.cleanupAfterFailure(action))
          for (const statement of rules.remedies.render(cleanup).statements)
            await connection.query(statement).catch(() => undefined);
        if (!rules.isLockTimeout(error) || attempt >= attempts) throw error;
        options.onRetry?.(action, attempt, error);
      }
    }
  }
  return applied;
}
