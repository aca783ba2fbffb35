import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { TargetSpec } from '../engines/engine.js';
import { type EngineName, engineForScheme } from '../engines/names.js';
import { ConfigError, errorMessage } from '../errors.js';
import { type Config, configSchema, type TargetConfig } from './schema.js';
import { rememberDsnSecrets } from './secrets.js';
import { unknownKeys } from './unknown-keys.js';

export interface ConfigOverrides {
  urls?: string[];
  listen?: string;
  intervalSeconds?: number;
  webConfigFile?: string;
  /** --data-dir */
  dataDir?: string;
  /** --store postgres://... */
  store?: string;
}

/** postgres://, postgresql:// -> postgres; mysql://, mariadb:// -> mysql (agent/engines/names.ts). */
export function engineFromDsn(dsn: string): EngineName | null {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(dsn)?.[1];
  return scheme === undefined ? null : engineForScheme(scheme);
}

/** A target name from a DSN: host:port/db, without credentials. */
export function targetNameFromDsn(dsn: string): string {
  try {
    const url = new URL(dsn);
    const db = url.pathname.replace(/^\//, '');
    const name = `${url.hostname || 'localhost'}${url.port ? `:${url.port}` : ''}${db ? `/${db}` : ''}`;
    return name.replace(/[^A-Za-z0-9_.:/-]/g, '_');
  } catch {
    return 'target';
  }
}

/** All problems on one line (a CLI error is one line), the first one first. */
function formatProblems(source: string, problems: readonly string[]): string {
  return `${source}: ${problems.join('; ')}`;
}

function zodProblems(error: z.ZodError): string[] {
  return error.issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`,
  );
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(path, `${path}: cannot read the config file (${errorMessage(cause)})`, { cause });
  }
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new ConfigError(
      path,
      `${path}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${errorMessage(cause)}`,
      {
        cause,
      },
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Config from an optional file, then flags. `--url` targets are added to the file's targets.
 * Validation errors name the file and the field. The result is frozen.
 */
export function loadConfig(file: string | undefined, overrides: ConfigOverrides = {}): Config {
  const source = file ?? 'command line';
  const raw = (file ? readConfigFile(file) : {}) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(source, `${source}: the config must be a mapping of settings`);
  }
  const merged: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  if (overrides.listen !== undefined) merged.listen = overrides.listen;
  if (overrides.intervalSeconds !== undefined) merged.intervalSeconds = overrides.intervalSeconds;
  if (overrides.webConfigFile !== undefined) merged.webConfigFile = overrides.webConfigFile;
  if (overrides.dataDir !== undefined) merged.dataDir = overrides.dataDir;
  if (overrides.store !== undefined) merged.store = overrides.store;
  if (overrides.urls && overrides.urls.length > 0) {
    const fromFile = Array.isArray(merged.targets) ? merged.targets : [];
    const fromFlags = overrides.urls.map((dsn) => ({ name: targetNameFromDsn(dsn), dsn }));
    merged.targets = [...fromFile, ...fromFlags];
  }
  const unknown = unknownKeys(configSchema, merged).map((u) => u.message);
  const parsed = configSchema.safeParse(merged);
  const problems = [...unknown, ...(parsed.success ? [] : zodProblems(parsed.error))];
  if (problems.length > 0 || !parsed.success) throw new ConfigError(source, formatProblems(source, problems));
  const config = parsed.data;
  const names = new Set<string>();
  for (const [i, target] of config.targets.entries()) {
    if (names.has(target.name)) {
      throw new ConfigError(source, `${source}: targets.${i}.name: "${target.name}" is used by two targets`);
    }
    names.add(target.name);
  }
  return deepFreeze(config);
}

function resolveSecret(
  source: string,
  field: string,
  inline: string | undefined,
  envName: string | undefined,
  env: NodeJS.ProcessEnv,
): string | null {
  if (inline !== undefined) return inline;
  if (envName === undefined) return null;
  const value = env[envName];
  if (value === undefined || value === '') {
    throw new ConfigError(source, `${source}: ${field}: environment variable ${envName} is not set`);
  }
  return value;
}

/** Resolves secrets from the environment and the engine from the DSN. */
export function resolveTarget(
  target: TargetConfig,
  env: NodeJS.ProcessEnv = process.env,
  source = 'config',
): TargetSpec {
  const dsn = resolveSecret(source, `target "${target.name}" dsnEnv`, target.dsn, target.dsnEnv, env);
  if (dsn === null) throw new ConfigError(source, `${source}: target "${target.name}": no DSN`);
  // an unknown scheme is not guessed (not a choice of behaviour by engine)
  const engine = target.engine ?? engineFromDsn(dsn);
  if (!engine) {
    throw new ConfigError(
      source,
      `${source}: target "${target.name}": cannot tell the engine from the DSN; use postgres://, postgresql://, mysql:// or mariadb://, or set engine`,
    );
  }
  const poolerDsn = resolveSecret(
    source,
    `target "${target.name}" poolerDsnEnv`,
    target.poolerDsn,
    target.poolerDsnEnv,
    env,
  );
  // from here on, no log line can carry these passwords (agent/config/secrets.ts)
  rememberDsnSecrets(dsn);
  rememberDsnSecrets(poolerDsn);
  return { name: target.name, engine, dsn, poolerDsn };
}
