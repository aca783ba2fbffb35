import { redactDsn } from '../config/dsn-secrets.js';
import type { Config } from '../config/schema.js';
import { scrubSecrets } from '../config/secrets.js';
import type { JsonValue, Store } from '../state/store.js';
import type { AuditRecord } from './chain.js';
import { appendAudit, auditRecords } from './log.js';

// The agent's start with a configuration that differs from the last one recorded writes a
// config-change record: the changed keys with their old and new values, secrets removed (DSN
// passwords by parsing the DSN, then every secret the process knows scrubbed). The record
// keeps the whole redacted configuration too, which the next start compares with.

/** Keys whose values are DSNs (a target's dsn / poolerDsn, a PostgreSQL store). */
const DSN_KEYS = new Set(['dsn', 'poolerDsn', 'store']);

export type FlatConfig = Record<string, string>;

function shown(key: string, value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return scrubSecrets(DSN_KEYS.has(key) && typeof value === 'string' ? redactDsn(value) : text);
}

/** The configuration as dotted keys (targets by their name), every value shown redacted. */
export function flattenConfig(config: Config): FlatConfig {
  const out: FlatConfig = {};
  const walk = (prefix: string, value: unknown, key: string): void => {
    if (value === undefined) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v, k);
      return;
    }
    out[prefix] = shown(key, value);
  };
  const { targets, ...rest } = config;
  walk('', rest, '');
  for (const target of targets) walk(`targets.${target.name}`, target, '');
  return out;
}

export interface ConfigChange {
  key: string;
  /** null: the key was not set before */
  from: string | null;
  /** null: the key is gone */
  to: string | null;
}

export function configChanges(before: FlatConfig, after: FlatConfig): ConfigChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((k) => before[k] !== after[k])
    .map((key) => ({ key, from: before[key] ?? null, to: after[key] ?? null }));
}

/** The changed keys for the one-line detail (the record's data has them all, with values). */
function keyList(changes: readonly ConfigChange[]): string {
  const shownKeys = changes.slice(0, 5).map((c) => c.key);
  return changes.length > 5 ? `${shownKeys.join(', ')} and ${changes.length - 5} more` : shownKeys.join(', ');
}

function recordedConfig(record: AuditRecord | undefined): FlatConfig | null {
  const data = record?.data as { config?: FlatConfig } | null | undefined;
  return data?.config ?? null;
}

/**
 * Writes a config-change record when the configuration differs from the last one recorded
 * (the first start records it whole). Returns the record, or null when nothing changed.
 */
export async function recordConfigChange(
  store: Store,
  config: Config,
  options: { who?: string; now?: number } = {},
): Promise<AuditRecord | null> {
  const now = options.now ?? Date.now();
  const current = flattenConfig(config);
  const last = (await auditRecords(store)).filter((r) => r.action === 'config-change').at(-1);
  const changes = configChanges(recordedConfig(last) ?? {}, current);
  if (changes.length === 0) return null;
  return appendAudit(store, {
    action: 'config-change',
    who: options.who ?? 'agent',
    target: null,
    finding: null,
    statements: [],
    result: 'ok',
    detail: last
      ? `${changes.length} key(s) changed since record #${last.seq}: ${keyList(changes)}`
      : 'first configuration recorded',
    startedAt: now,
    finishedAt: now,
    verification: null,
    data: { changes: changes as unknown as JsonValue, config: current },
  });
}
