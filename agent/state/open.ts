import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { redactDsn } from '../config/dsn-secrets.js';
import { AgentError } from '../errors.js';
import { openPostgresStore } from './postgres.js';
import { createSqlStore } from './sql-store.js';
import { openSqlite } from './sqlite.js';
import type { Store } from './store.js';

// Where the store lives: `store: postgres://...` (shared by several agents), otherwise one
// SQLite file in the data directory. The data directory: `dataDir` / --data-dir, else
// $STATE_DIRECTORY (systemd StateDirectory=), else $XDG_STATE_HOME/dbdiag, else
// ~/.local/state/dbdiag. It is created on first use.

export const SQLITE_FILE = 'dbdiag.sqlite';

export interface StoreLocation {
  /** postgres:// or postgresql:// URL of a shared store */
  store?: string | undefined;
  dataDir?: string | undefined;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const systemd = env.STATE_DIRECTORY?.split(':')[0];
  if (systemd) return systemd;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'dbdiag');
  return join(homedir(), '.local', 'state', 'dbdiag');
}

export function resolveDataDir(dataDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(dataDir ?? defaultDataDir(env));
}

export function isPostgresStoreUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** Opens (and migrates) the store the location names. */
export async function openStore(
  location: StoreLocation,
  options: {
    /** a CLI that reads: a missing SQLite file is an error, not a new empty store */
    mustExist?: boolean;
  } = {},
): Promise<Store> {
  if (location.store !== undefined && location.store !== '') {
    if (!isPostgresStoreUrl(location.store)) {
      throw new Error(
        `store "${redactDsn(location.store)}": give a postgres:// URL, or leave it out for SQLite in the data directory`,
      );
    }
    const db = openPostgresStore(location.store);
    try {
      return await createSqlStore(db, {
        backend: 'postgres',
        location: redactDsn(location.store),
        async sizeBytes() {
          const rows = await db.query<{ n: number | null }>(
            `SELECT SUM(pg_total_relation_size(c.oid)) AS n FROM pg_class c
             JOIN pg_namespace ns ON ns.oid = c.relnamespace
             WHERE c.relkind = 'r' AND c.relname LIKE 'dbdiag\\_%' AND ns.nspname = current_schema()`,
          );
          return rows[0]?.n === null || rows[0]?.n === undefined ? null : Number(rows[0].n);
        },
        async reclaim(conn) {
          for (const table of [
            'dbdiag_findings',
            'dbdiag_finding_events',
            'dbdiag_rollups',
            'dbdiag_rollup_statements',
            'dbdiag_rollup_statements_daily',
            'dbdiag_rollup_tables',
            'dbdiag_statement_texts',
            'dbdiag_setting_changes',
            'dbdiag_records',
          ])
            await conn.exec(`VACUUM ANALYZE ${table}`);
        },
      });
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
  }
  const path = join(resolveDataDir(location.dataDir), SQLITE_FILE);
  if (options.mustExist && !existsSync(path)) {
    throw new AgentError(
      'store-missing',
      `no state store at ${path}: the agent creates it when it starts; give --data-dir, --store or --config as the agent has them`,
    );
  }
  const db = openSqlite(path);
  try {
    return await createSqlStore(db, {
      backend: 'sqlite',
      location: path,
      async sizeBytes() {
        let total = 0;
        for (const suffix of ['', '-wal', '-shm']) {
          try {
            total += statSync(`${path}${suffix}`).size;
          } catch {
            // no WAL yet
          }
        }
        return total;
      },
      async reclaim(conn) {
        await conn.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        await conn.exec('VACUUM');
        await conn.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      },
    });
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}
