import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../../../agent/audit/log.js';
import { loadConfig, resolveTarget } from '../../../agent/config/load.js';
import { drivers } from '../../../agent/engines/drivers.js';
import { createIndexAction } from '../../../agent/findings/actions.js';
import type { Finding } from '../../../agent/findings/finding.js';
import type { TrackedFinding } from '../../../agent/findings/tracker.js';
import { rootLogger } from '../../../agent/log.js';
import { applyFinding } from '../../../agent/remediation/apply.js';
import { samplingLimits } from '../../../agent/runtime/target-runner.js';
import { openStore } from '../../../agent/state/open.js';
import type { Store } from '../../../agent/state/store.js';
import { startLocalMariadb, type TestMysqlServer } from '../../support/mysql.js';
import { until } from '../../support/until.js';

// dbdiag apply on a real MariaDB while reads filtered on an un-indexed column run: the index is
// added in the online form (ALTER TABLE ... ADD INDEX, ALGORITHM=INPLACE, LOCK=NONE, behind
// lock_wait_timeout) on a connection of its own; the read's mean time, measured from
// performance_schema digests through the agent's own statements probe, falls: verified, audited.

const READ_SQL = 'SELECT count(*) FROM h15apply.orders WHERE customer_id = ?';

describe('dbdiag apply on a real MariaDB', () => {
  let server: TestMysqlServer;
  let store: Store;
  let dir: string;
  let workload: mysql.Connection;
  let running = true;
  let loop: Promise<void>;

  beforeAll(async () => {
    server = await startLocalMariadb({ performanceSchema: true });
    await server.exec(
      'CREATE DATABASE h15apply; CREATE TABLE h15apply.orders (id int PRIMARY KEY, customer_id int NOT NULL, note varchar(60)) ENGINE=InnoDB',
    );
    await server.exec(
      "INSERT INTO h15apply.orders SELECT seq, seq % 5000, repeat('x', 40) FROM h15apply.seq_1_to_200000",
    );
    await server.exec('ANALYZE TABLE h15apply.orders');
    workload = await mysql.createConnection({ uri: server.url });
    loop = (async () => {
      let i = 0;
      while (running) await workload.query(READ_SQL, [i++ % 5000]);
    })();
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-h15-apply-mariadb-'));
    store = await openStore({ dataDir: dir });
  }, 180_000);

  afterAll(async () => {
    running = false;
    await loop?.catch(() => undefined);
    await workload?.end();
    await store?.close();
    await server?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds the index online under the reads, measures them faster, verified and audited', async () => {
    const file = join(dir, 'dbdiag.yml');
    writeFileSync(
      file,
      `apply:\n  enabled: true\n  validationSeconds: 2\ntargets:\n  - name: h15-maria\n    dsn: ${server.url}\n    sandbox: true\n`,
    );
    const config = loadConfig(file);
    // the read's id as the agent's statements probe names it (performance_schema digest)
    const session = await drivers.mysql.connect(
      resolveTarget(config.targets[0]!),
      samplingLimits(config),
      rootLogger,
    );
    let statementId = '';
    try {
      // the workload's first reads may not be digested yet (CI once read none): sample until they are
      statementId = await until(
        'the read in the statements probe',
        async () => {
          const sample = await session.sample('statements');
          const statements = sample.status === 'ok' ? (sample.signals.statements?.statements ?? []) : [];
          return statements.find((s) => /select\s*count.*customer_id/i.test(s.fingerprint))?.id;
        },
        20_000,
      );
    } finally {
      await session.close();
    }
    expect(statementId).not.toBe('');
    const finding: Finding = {
      id: 'missing-index:h15-maria:h15apply.orders(customer_id)',
      kind: 'missing-index',
      severity: 'warning',
      target: 'h15-maria',
      object: 'h15apply.orders',
      summary: 'h15apply.orders needs an index on (customer_id)',
      evidence: { statementIds: [statementId] },
      fix: {
        summary: 'add the index online',
        statements: [],
        risk: 'brief metadata lock',
        rollback: 'drop it',
        actions: [
          createIndexAction({
            table: 'h15apply.orders',
            name: 'orders_customer_id_idx',
            columns: ['customer_id'],
            lockTimeoutSeconds: 5,
            risk: 'none',
          }),
        ],
      },
      runbook: 'runbooks/missing-index.md',
      related: [],
    };
    const now = Date.now();
    await store.saveFindings([
      {
        finding,
        status: 'active',
        firstSeen: now,
        lastSeen: now,
        resolvedAt: null,
        occurrences: 3,
        severityChanges: [],
        worst: { severity: 'warning', at: now, evidence: finding.evidence },
      } as unknown as TrackedFinding,
    ]);
    const outcome = await applyFinding(config, store, {
      findingId: finding.id,
      who: 'oncall',
      confirmed: false,
    });
    expect(outcome.status, outcome.reason).toBe('applied');
    expect(outcome.statements.join('\n')).toMatch(/ADD INDEX .*ALGORITHM=INPLACE, LOCK=NONE/);
    expect(outcome.statements.join('\n')).toMatch(/lock_wait_timeout/);
    expect(outcome.verification!.before.calls).toBeGreaterThan(0);
    expect(outcome.verification!.after.calls).toBeGreaterThan(0);
    expect(outcome.verification!.verdict, JSON.stringify(outcome.verification)).toBe('verified');
    const names = (await server.exec(
      "SELECT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'h15apply' AND TABLE_NAME = 'orders'",
    )) as { name: string }[];
    expect(names.map((n) => n.name)).toContain('orders_customer_id_idx');
    expect(outcome.audit).toMatchObject({ action: 'apply', result: 'verified', who: 'oncall' });
    expect((await verifyAudit(store)).ok).toBe(true);
  }, 120_000);
});
