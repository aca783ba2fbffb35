import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { createSandboxDir, undoOnExit } from './sandbox-dir.js';

// A real, throw-away Prometheus (Debian's `prometheus` package): started in its own marked
// `dbdiag-<purpose>-XXXXXX` directory on a free loopback port, scraping one target and
// evaluating the rule files it is given. Drills time their alerts with it; the integration
// tests check the dashboards against it. Like every sandbox, it is stopped and its directory
// removed on stop() and at process exit; a killed owner's leftover is removed by the next
// removeLeftovers() (the marker names the Prometheus process).

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

/** Whether a Prometheus is installed to start (drills say "not measured" otherwise). */
export function prometheusInstalled(): boolean {
  return existsSync(PROMETHEUS_BIN);
}

export interface PrometheusSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One entry of /api/v1/alerts. */
export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  /** when the expression first held (RFC 3339) */
  activeAt?: string;
  value: string;
}

export interface RunningPrometheus {
  url: string;
  /** the directory it runs in (removed on stop) */
  dir: string;
  pid: number | null;
  /** instant query through /api/v1/query */
  query(expr: string): Promise<PrometheusSample[]>;
  /** GET a JSON API path, e.g. /api/v1/rules; returns `data` */
  api<T>(path: string): Promise<T>;
  /** the alerts pending or firing now */
  alerts(): Promise<PrometheusAlert[]>;
  logTail(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** host:port of the scrape target */
  scrapeTarget: string;
  job?: string;
  /** scrape interval, also its timeout (default 1 s) */
  scrapeIntervalSeconds?: number;
  /** rule evaluation interval (default: the scrape interval) */
  evaluationIntervalSeconds?: number;
  ruleFiles?: string[];
  /** the directory's purpose: dbdiag-<purpose>-XXXXXX (default 'prometheus') */
  purpose?: string;
  /** rule files to write into the directory first (name -> text), loaded with ruleFiles */
  writeRules?: Record<string, string>;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? res.status}`);
  return body.data;
}

/** Starts /usr/bin/prometheus in a marked temp dir on a free loopback port, scraping one target. */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  if (!prometheusInstalled())
    throw new Error(`${PROMETHEUS_BIN} not found (apt-get install prometheus; scripts/setup.mjs does it)`);
  const sandbox = createSandboxDir(options.purpose ?? 'prometheus');
  const dir = sandbox.path;
  const port = await freePort();
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const evaluation = `${options.evaluationIntervalSeconds ?? options.scrapeIntervalSeconds ?? 1}s`;
  const written = Object.entries(options.writeRules ?? {}).map(([name, text]) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  });
  const config = {
    global: { scrape_interval: interval, evaluation_interval: evaluation },
    rule_files: [...(options.ruleFiles ?? []), ...written],
    scrape_configs: [
      {
        job_name: options.job ?? 'dbdiag',
        scrape_interval: interval,
        scrape_timeout: interval,
        static_configs: [{ targets: [options.scrapeTarget] }],
      },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const pid = child.pid ?? null;
  sandbox.mark({ serverPid: pid });
  // at exit the event loop is gone: kill it synchronously, then the directory goes (its own hook)
  const unregister = undoOnExit(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-16_000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    unregister();
    sandbox.remove();
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}:\n${log}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready in 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    dir,
    pid,
    query: async (expr) => {
      const data = await getJson<{ resultType: string; result: PrometheusSample[] }>(
        `${url}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      if (data.resultType !== 'vector')
        throw new Error(`expected a vector from ${expr}, got ${data.resultType}`);
      return data.result;
    },
    api: (path) => getJson(`${url}${path}`),
    alerts: async () => (await getJson<{ alerts: PrometheusAlert[] }>(`${url}/api/v1/alerts`)).alerts,
    logTail: () => log,
    stop,
  };
}
