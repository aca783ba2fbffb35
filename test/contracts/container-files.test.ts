import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../agent/config/load.js';
import { packageRoot } from '../../agent/package-root.js';
import { PROMTOOL_BIN } from '../support/prometheus.js';

// No Docker engine runs where dbdiag is developed: the container files are checked for what can
// be checked without one. The files parse, every file the compose example mounts or builds
// from exists, the configs it mounts load in their own tools, and the paths line up (the rules
// Prometheus loads, the folder Grafana's provider reads). The image's entry command itself is
// run in test/integration/packaging/install.test.ts.

const ROOT = packageRoot();
const PACKAGING = join(ROOT, 'packaging');
const COMPOSE_FILE = join(PACKAGING, 'docker-compose.yml');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  volumes?: string[];
  environment?: Record<string, string>;
}

const compose = parseYaml(readFileSync(COMPOSE_FILE, 'utf8')) as { services: Record<string, Service> };

/** host path -> container path of every bind mount of a service */
function mounts(service: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const volume of compose.services[service]?.volumes ?? []) {
    const [host = '', container = ''] = volume.split(':');
    out.set(resolve(dirname(COMPOSE_FILE), host), container);
  }
  return out;
}

function hostFileMountedAt(service: string, containerPath: string): string {
  const found = [...mounts(service)].find(([, container]) => container === containerPath)?.[0];
  expect(found, `${service} mounts nothing at ${containerPath}`).toBeDefined();
  return found as string;
}

describe('packaging/docker-compose.yml', () => {
  it('has dbdiag, PostgreSQL, MariaDB, Prometheus and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'dbdiag',
      'grafana',
      'mariadb',
      'postgres',
      'prometheus',
    ]);
  });

  it('mounts and builds only files that exist', () => {
    const missing: string[] = [];
    for (const name of Object.keys(compose.services)) {
      for (const host of mounts(name).keys()) if (!existsSync(host)) missing.push(`${name}: ${host}`);
    }
    const build = compose.services.dbdiag?.build;
    expect(build).toBeDefined();
    const context = resolve(dirname(COMPOSE_FILE), build?.context ?? '');
    expect(context).toBe(ROOT);
    if (!existsSync(join(context, build?.dockerfile ?? ''))) missing.push(`dockerfile ${build?.dockerfile}`);
    expect(missing).toEqual([]);
  });

  it("gives dbdiag a config that loads, with every target's DSN variable set", () => {
    const config = loadConfig(hostFileMountedAt('dbdiag', '/etc/dbdiag/config.yml'));
    const env = compose.services.dbdiag?.environment ?? {};
    expect(config.targets.length).toBe(2);
    for (const target of config.targets) expect(env[target.dsnEnv ?? '']).toMatch(/^(postgres|mariadb):\/\//);
  });

  it('gives Prometheus a config promtool accepts, scraping dbdiag and loading the rules mounted from dashboards/', () => {
    const file = hostFileMountedAt('prometheus', '/etc/prometheus/prometheus.yml');
    const check = spawnSync(PROMTOOL_BIN, ['check', 'config', '--syntax-only', file], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const prometheus = parseYaml(readFileSync(file, 'utf8')) as {
      rule_files: string[];
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const rules = prometheus.rule_files.map(
      (path) => [...mounts('prometheus')].find(([, c]) => c === path)?.[0],
    );
    expect(rules).toEqual([join(ROOT, 'dashboards', 'prometheus', 'dbdiag.rules.yml')]);
    expect(prometheus.scrape_configs[0]?.static_configs[0]?.targets).toEqual(['dbdiag:9187']);
  });

  it('gives Grafana a Prometheus datasource and the dashboards in the folder its provider reads', () => {
    const provider = parseYaml(
      readFileSync(hostFileMountedAt('grafana', '/etc/grafana/provisioning/dashboards/dbdiag.yaml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    const folder = provider.providers[0]?.options.path ?? '';
    expect(hostFileMountedAt('grafana', folder)).toBe(join(ROOT, 'dashboards', 'grafana'));
    const datasources = parseYaml(
      readFileSync(hostFileMountedAt('grafana', '/etc/grafana/provisioning/datasources/dbdiag.yml'), 'utf8'),
    ) as { datasources: { type: string; url: string }[] };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
  });
});

describe('packaging/Dockerfile', () => {
  const text = readFileSync(join(PACKAGING, 'Dockerfile'), 'utf8');
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => /^[A-Z]+\s/.test(line));

  it('is multi-stage on node:20-slim, runs as a non-root user, with a healthcheck on /healthz', () => {
    const from = instructions.filter((line) => line.startsWith('FROM '));
    expect(from.length).toBeGreaterThanOrEqual(2);
    for (const line of from) expect(line).toMatch(/^FROM node:20-slim\b/);
    const user = instructions.filter((line) => line.startsWith('USER ')).at(-1);
    expect(user).toBe('USER node');
    expect(instructions.find((line) => line.startsWith('HEALTHCHECK '))).toMatch(/\/healthz/);
  });

  it('copies only files that exist into the build', () => {
    const sources = instructions
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});
