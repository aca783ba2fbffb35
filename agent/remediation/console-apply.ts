import { readFileSync } from 'node:fs';
import { appendAudit } from '../audit/log.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { ApplyResult, ApplySource } from '../http/apply-route.js';
import type { Logger } from '../log.js';
import type { Store } from '../state/store.js';

// The console's Apply (POST /api/findings/<id>/apply) on a running agent: the same
// applyFinding as `dbdiag apply`, with the agent's current config and store, under the
// token's name. The token is read once at start from apply.tokenFile.

function readToken(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(file, `apply.tokenFile ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (token === '') throw new ConfigError(file, `apply.tokenFile ${file} is empty: write the token in it`);
  return token;
}

export function consoleApply(config: () => Config, store: Store, log: Logger): ApplySource {
  const first = config().apply;
  return {
    token: first.tokenFile === undefined ? null : readToken(first.tokenFile),
    tokenName: first.tokenName,
    async run(findingId, who, confirmed): Promise<ApplyResult> {
      const { applyFinding } = await import('./apply.js');
      const outcome = await applyFinding(config(), store, { findingId, who, confirmed, log });
      log.info({ finding: findingId, who, status: outcome.status }, `console apply: ${outcome.reason}`);
      return {
        status: outcome.status,
        reason: outcome.reason,
        statements: outcome.statements,
        verification: outcome.verification,
        auditSeq: outcome.audit.seq,
      };
    },
    async refuse(findingId, reason) {
      const now = Date.now();
      await appendAudit(store, {
        action: 'apply-refused',
        who: 'anonymous',
        target: null,
        finding: findingId,
        statements: [],
        result: 'refused',
        detail: reason,
        startedAt: now,
        finishedAt: now,
        verification: null,
        data: null,
      });
    },
  };
}
