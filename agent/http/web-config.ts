import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { unknownKeys } from '../config/unknown-keys.js';
import { ConfigError, errorMessage } from '../errors.js';

// The web config file (--web.config.file / webConfigFile), in the shape of the Prometheus
// exporter-toolkit (https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md)
// so a Prometheus operator reuses what they know: TLS with tls_server_config, basic auth with
// bcrypt hashes in basic_auth_users. dbdiag adds bearer_token_file (Prometheus sends it with
// `authorization: {credentials_file: ...}`). Read once at start; a mistake is a one-line error.

/** $2a$ / $2b$ / $2y$ (htpasswd -B), cost, 53 characters of salt and hash */
const BCRYPT_HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequireAndVerifyClientCert'] as const;

export const webConfigSchema = z.object({
  tls_server_config: z
    .object({
      cert_file: z.string().min(1).describe('PEM certificate (chain) the agent serves'),
      key_file: z.string().min(1).describe('PEM private key of cert_file'),
      client_auth_type: z
        .enum(CLIENT_AUTH_TYPES)
        .default('NoClientCert')
        .describe('RequireAndVerifyClientCert: mutual TLS against client_ca_file'),
      client_ca_file: z
        .string()
        .min(1)
        .optional()
        .describe('PEM CA bundle client certificates must chain to'),
      min_version: z.enum(['TLS12', 'TLS13']).default('TLS12').describe('lowest TLS version accepted'),
    })
    .optional()
    .describe('serve HTTPS instead of HTTP'),
  basic_auth_users: z
    .record(
      z.string().regex(/^[^:]+$/, 'a user name cannot contain ":"'),
      z.string().regex(BCRYPT_HASH, 'not a bcrypt hash: make one with `htpasswd -nBC 10 USER`'),
    )
    .optional()
    .describe('user name -> bcrypt hash of the password'),
  bearer_token_file: z
    .string()
    .min(1)
    .optional()
    .describe('dbdiag extension: a file holding the token clients send as "Authorization: Bearer TOKEN"'),
});

type RawWebConfig = z.infer<typeof webConfigSchema>;

export interface TlsOptions {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

export interface WebConfig {
  /** HTTPS options, or null for plain HTTP */
  tls: TlsOptions | null;
  /** user -> bcrypt hash; empty when basic auth is off */
  basicAuthUsers: ReadonlyMap<string, string>;
  /** the bearer token, or null when bearer auth is off */
  bearerToken: string | null;
}

/** What the agent serves without a web config: plain HTTP, no authentication. */
export const OPEN_WEB_CONFIG: WebConfig = { tls: null, basicAuthUsers: new Map(), bearerToken: null };

export function requiresAuth(config: WebConfig): boolean {
  return config.basicAuthUsers.size > 0 || config.bearerToken !== null;
}

function readFileFor(source: string, key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new ConfigError(source, `${source}: ${key}: cannot read "${path}" (${errorMessage(cause)})`, {
      cause,
    });
  }
}

function tlsOptions(source: string, raw: NonNullable<RawWebConfig['tls_server_config']>): TlsOptions {
  const mutual = raw.client_auth_type === 'RequireAndVerifyClientCert';
  if (mutual && raw.client_ca_file === undefined) {
    throw new ConfigError(
      source,
      `${source}: tls_server_config.client_ca_file: RequireAndVerifyClientCert needs the CA that signs client certificates`,
    );
  }
  return {
    cert: readFileFor(source, 'tls_server_config.cert_file', raw.cert_file),
    key: readFileFor(source, 'tls_server_config.key_file', raw.key_file),
    ca:
      raw.client_ca_file === undefined
        ? undefined
        : readFileFor(source, 'tls_server_config.client_ca_file', raw.client_ca_file),
    requestCert: mutual,
    rejectUnauthorized: mutual,
    minVersion: raw.min_version === 'TLS13' ? 'TLSv1.3' : 'TLSv1.2',
  };
}

/** Parses and checks a web config's content; `source` names it in errors. */
export function parseWebConfig(source: string, value: unknown): WebConfig {
  const raw = value ?? {};
  const problems = unknownKeys(webConfigSchema, raw).map((u) => u.message);
  const parsed = webConfigSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(
      ...parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  if (problems.length > 0 || !parsed.success)
    throw new ConfigError(source, `${source}: ${problems.join('; ')}`);
  const config = parsed.data;
  let bearerToken: string | null = null;
  if (config.bearer_token_file !== undefined) {
    bearerToken = readFileFor(source, 'bearer_token_file', config.bearer_token_file).toString('utf8').trim();
    if (bearerToken === '') {
      throw new ConfigError(source, `${source}: bearer_token_file: "${config.bearer_token_file}" is empty`);
    }
  }
  return {
    tls: config.tls_server_config === undefined ? null : tlsOptions(source, config.tls_server_config),
    basicAuthUsers: new Map(Object.entries(config.basic_auth_users ?? {})),
    bearerToken,
  };
}

/** Reads a web config file (YAML, as the exporter-toolkit's). */
export function loadWebConfig(path: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(path, `${path}: cannot read the web config file (${errorMessage(cause)})`, {
      cause,
    });
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (cause) {
    throw new ConfigError(path, `${path}: not valid YAML: ${errorMessage(cause).split('\n')[0]}`, { cause });
  }
  return parseWebConfig(path, value);
}
