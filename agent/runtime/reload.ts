import { isDeepStrictEqual } from 'node:util';
import type { Config, TargetConfig } from '../config/schema.js';
import { scrubSecrets } from '../config/secrets.js';

// What a configuration reload (SIGHUP) changes, as a pure diff of the running and the new
// config. Targets and the keys in LIVE_KEYS apply at once; any other key (the listen address,
// the statement timeout, the series limits, and keys added later unless listed here) keeps
// its running value until a restart, and the reload says so.

/** Top-level keys a running agent applies without a restart. */
export const LIVE_KEYS: ReadonlySet<string> = new Set([
  'intervalSeconds',
  'tablesIntervalSeconds',
  'settingsIntervalSeconds',
  'historySize',
  'thresholds',
  'targets',
]);

export interface ValueChange {
  /** dotted path: `thresholds.idleInTransactionSeconds` */
  path: string;
  from: unknown;
  to: unknown;
}

export interface ConfigChanges {
  /** applied at once */
  live: ValueChange[];
  /** kept at the running value until the agent restarts */
  needsRestart: ValueChange[];
  added: string[];
  removed: string[];
  /** target name -> the fields that changed (values are never listed: they may hold secrets) */
  changed: Map<string, string[]>;
}

function leafChanges(from: unknown, to: unknown, path: string, out: ValueChange[]): void {
  if (isDeepStrictEqual(from, to)) return;
  const isMapping = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isMapping(from) && isMapping(to)) {
    for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
      leafChanges(from[key], to[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  out.push({ path, from, to });
}

function targetFieldChanges(from: TargetConfig, to: TargetConfig): string[] {
  const out: ValueChange[] = [];
  leafChanges(from, to, '', out);
  return out.map((c) => c.path);
}

export function diffConfig(running: Config, next: Config): ConfigChanges {
  const live: ValueChange[] = [];
  const needsRestart: ValueChange[] = [];
  const top = new Set([...Object.keys(running), ...Object.keys(next)]);
  for (const key of top) {
    if (key === 'targets') continue;
    const out = LIVE_KEYS.has(key) ? live : needsRestart;
    leafChanges((running as Record<string, unknown>)[key], (next as Record<string, unknown>)[key], key, out);
  }
  const before = new Map(running.targets.map((t) => [t.name, t]));
  const after = new Map(next.targets.map((t) => [t.name, t]));
  const changed = new Map<string, string[]>();
  for (const [name, target] of after) {
    const old = before.get(name);
    if (old && !isDeepStrictEqual(old, target)) changed.set(name, targetFieldChanges(old, target));
  }
  return {
    live,
    needsRestart,
    added: [...after.keys()].filter((name) => !before.has(name)),
    removed: [...before.keys()].filter((name) => !after.has(name)),
    changed,
  };
}

/**
 * The config the agent runs after a reload: the new file's live keys and targets, the running
 * values of every key that needs a restart.
 */
export function effectiveConfig(running: Config, next: Config): Config {
  const merged: Record<string, unknown> = { ...next };
  for (const key of new Set([...Object.keys(running), ...Object.keys(next)])) {
    if (!LIVE_KEYS.has(key)) merged[key] = (running as Record<string, unknown>)[key];
  }
  return merged as Config;
}

const SECRET_KEY = /password|secret|token|dsn|key/i;

function show(path: string, value: unknown): string {
  if (value === undefined) return '(unset)';
  if (SECRET_KEY.test(path.split('.').at(-1) ?? '')) return '***';
  const text = scrubSecrets(typeof value === 'string' ? value : JSON.stringify(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** One line saying what a reload changed: `thresholds.x 60 -> 1; target "b" added; ...`. */
export function describeChanges(changes: ConfigChanges): string {
  const parts: string[] = [
    ...changes.live.map((c) => `${c.path} ${show(c.path, c.from)} -> ${show(c.path, c.to)}`),
    ...changes.added.map((name) => `target "${name}" added`),
    ...changes.removed.map((name) => `target "${name}" removed`),
    ...[...changes.changed].map(
      ([name, fields]) => `target "${name}" changed (${fields.join(', ')}): reconnecting it`,
    ),
    ...changes.needsRestart.map(
      (c) => `${c.path} ${show(c.path, c.from)} -> ${show(c.path, c.to)} takes effect on restart`,
    ),
  ];
  return parts.length > 0 ? parts.join('; ') : 'no changes';
}
