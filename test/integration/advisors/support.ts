import { configSchema } from '../../../agent/config/schema.js';
import type { Thresholds } from '../../../agent/config/thresholds.js';
import { drivers } from '../../../agent/engines/drivers.js';
import type { Finding, FindingKind } from '../../../agent/findings/finding.js';
import { componentLogger } from '../../../agent/log.js';
import { runnerOptionsFor } from '../../../agent/runtime/runner-options.js';
import { TargetRunner } from '../../../agent/runtime/target-runner.js';
import type { EngineName } from '../../../agent/snapshot/signals.js';

// A real runner (probes + advisors, as `dbdiag agent` and `check` wire them) on one target.

export interface AdvisedTarget {
  runner: TargetRunner;
  /** one cycle with every probe, then the findings */
  cycle(): Promise<readonly Finding[]>;
  of(kind: FindingKind): Finding[];
  stop(): Promise<void>;
}

export function advisedTarget(
  engine: EngineName,
  dsn: string,
  thresholds: Partial<Thresholds> = {},
  options: { sandboxProof?: boolean } = {},
): AdvisedTarget {
  const config = configSchema.parse({
    targets: [{ name: 'db', dsn }],
    thresholds: { resolveAfterSeconds: 0, ...thresholds },
  });
  const log = componentLogger('advisor-test');
  const spec = { name: 'db', engine, dsn, poolerDsn: null };
  const runner = new TargetRunner(
    spec,
    config,
    drivers[engine],
    log,
    runnerOptionsFor(config, log, options)('db', 'http://agent/runbooks'),
  );
  return {
    runner,
    async cycle() {
      await runner.runCycle({ allProbes: true });
      return runner.findings;
    },
    of: (kind) => runner.findings.filter((f) => f.kind === kind),
    stop: () => runner.stop(),
  };
}
