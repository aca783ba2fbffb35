import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../agent/audit/chain.js';
import { recordConfigChange } from '../../../agent/audit/config-change.js';
import { appendAudit, auditRecords, verifyAudit } from '../../../agent/audit/log.js';
import { loadConfig } from '../../../agent/config/load.js';
import { ConfigError } from '../../../agent/errors.js';
import { openStore, SQLITE_FILE, type StoreLocation } from '../../../agent/state/open.js';
import type { Store } from '../../../agent/state/store.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

// The audit log on a real store of each kind: appended records chain by hash; `dbdiag audit
// verify` finds an edited record and a deleted one (tampering done with plain SQL, as someone
// with access to the store's database would); the config-change record at start holds the
// changed keys and no password; retention below 180 days is refused.

const T0 = Date.UTC(2026, 10, 29, 9);

function entry(n: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    action: 'apply',
    who: 'oncall',
    target: 'plant-db',
    finding: `missing-index:plant-db:public.orders${n}`,
    statements: [
      `SET lock_timeout = '5s'`,
      `CREATE INDEX CONCURRENTLY ix${n} ON public.orders (customer_id)`,
    ],
    result: 'ok',
    detail: null,
    startedAt: T0 + n * 60_000,
    finishedAt: T0 + n * 60_000 + 1500,
    verification: { meanMsBefore: 12.5, meanMsAfter: 0.4 },
    data: null,
    ...over,
  };
}

function cli(args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'agent/cli/main.ts', 'audit', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Backend {
  name: string;
  open(): Promise<{ location: StoreLocation; flags: string[]; sql: (text: string) => Promise<void> }>;
  cleanup(): Promise<void>;
}

function sqlite(): Backend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'dbdiag-audit-'));
      dirs.push(dir);
      return {
        location: { dataDir: dir },
        flags: ['--data-dir', dir],
        sql: async (text) => {
          const db = new Database(join(dir, SQLITE_FILE));
          db.exec(text);
          db.close();
        },
      };
    },
    async cleanup() {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

function postgres(): Backend {
  let server: PostgresServer | undefined;
  let n = 0;
  return {
    name: 'postgres',
    async open() {
      server ??= await startPostgres({ version: 15 });
      const database = `dbdiag_audit_${process.pid}_${n++}`;
      await server.query(`CREATE DATABASE ${database}`);
      const url = server.url({ database });
      const s = server;
      return {
        location: { store: url },
        flags: ['--store', url],
        sql: async (text) => {
          const client = await s.connect({ database });
          await client.query(text);
          await client.end();
        },
      };
    },
    async cleanup() {
      await server?.stop();
    },
  };
}

describe.each([sqlite(), postgres()])('audit log on a $name store', (backend) => {
  let store: Store;
  let flags: string[];
  let sql: (text: string) => Promise<void>;

  beforeAll(async () => {
    const opened = await backend.open();
    flags = opened.flags;
    sql = opened.sql;
    store = await openStore(opened.location);
    for (let n = 1; n <= 5; n++) await appendAudit(store, entry(n));
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await backend.cleanup();
  });

  it('chains every record to the one before and verifies intact', async () => {
    const records = await auditRecords(store);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(records[0]!.prevHash).toBe('');
    for (let i = 1; i < records.length; i++) expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);
    expect(await verifyAudit(store)).toMatchObject({ ok: true, records: 5, problems: [] });

    const verify = cli(['verify', ...flags]);
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
    expect(verify.stdout).toContain('audit log intact: 5 record(s) (#1..#5)');

    const list = cli(['list', '--format', 'json', ...flags]);
    expect(list.status).toBe(0);
    const listed = JSON.parse(list.stdout) as { seq: number; statements: string[] }[];
    expect(listed.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(listed[2]!.statements[1]).toContain('CREATE INDEX CONCURRENTLY ix3');

    const exported = cli(['export', ...flags]);
    expect(exported.stdout.trim().split('\n')).toHaveLength(5);
  }, 120_000);

  it('verify detects an edited record', async () => {
    // someone rewrites what record #2 says was run
    await sql(
      `UPDATE dbdiag_records SET payload = replace(payload, 'ix2', 'ix2_other') WHERE kind = 'audit' AND id = '000000000002'`,
    );
    const verdict = await verifyAudit(store);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([{ seq: 2, problem: 'edited: its content no longer matches its hash' }]);
    const verify = cli(['verify', ...flags]);
    expect(verify.status).toBe(2);
    expect(verify.stdout).toContain('audit log TAMPERED');
    expect(verify.stdout).toContain('#2: edited');
  }, 60_000);

  it('verify detects a deleted record', async () => {
    await sql(`DELETE FROM dbdiag_records WHERE kind = 'audit' AND id = '000000000004'`);
    const verdict = await verifyAudit(store);
    expect(verdict.problems).toContainEqual({
      seq: 5,
      problem: 'deleted: 1 record(s) missing before it (#4)',
    });
    const verify = cli(['verify', '--format', 'json', ...flags]);
    expect(verify.status).toBe(2);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: false, records: 4 });
  }, 60_000);

  it('records a config change at start: changed keys only, no password', async () => {
    const fresh = await backend.open();
    const s = await openStore(fresh.location);
    try {
      const dsn = 'postgres://dbdiag:s3cret-Pa55@db.example.com:5432/plant';
      const first = loadConfig(undefined, { urls: [dsn], intervalSeconds: 15 });
      const a = await recordConfigChange(s, first, { now: T0 });
      expect(a?.detail).toBe('first configuration recorded');
      expect(await recordConfigChange(s, first, { now: T0 + 1 })).toBeNull();
      const second = loadConfig(undefined, { urls: [dsn], intervalSeconds: 30 });
      const b = await recordConfigChange(s, second, { now: T0 + 2 });
      expect(b).not.toBeNull();
      expect((b!.data as { changes: unknown }).changes).toEqual([
        { key: 'intervalSeconds', from: '15', to: '30' },
      ]);
      const all = JSON.stringify(await auditRecords(s));
      expect(all).not.toContain('s3cret-Pa55');
      expect(all).toContain('postgres://dbdiag:***@db.example.com:5432/plant');
      expect((await verifyAudit(s)).ok).toBe(true);
    } finally {
      await s.close();
    }
  }, 60_000);
});

describe('audit retention', () => {
  it('refuses fewer than 180 days', () => {
    expect(() => loadConfig(undefined, { urls: ['postgres://x@h/db'] })).not.toThrow();
    const dir = mkdtempSync(join(tmpdir(), 'dbdiag-audit-cfg-'));
    const file = join(dir, 'c.yml');
    writeFileSync(file, 'retention:\n  audit: 90\ntargets:\n  - name: a\n    dsn: postgres://x@h/db\n');
    try {
      expect(() => loadConfig(file)).toThrow(ConfigError);
      expect(() => loadConfig(file)).toThrow(/audit records are kept at least 180 days/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
