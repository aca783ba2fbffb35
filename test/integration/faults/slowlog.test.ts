import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMariadb, type TestMysqlServer } from '../../support/mysql.js';
import { type RunAsUser, serverUser } from '../../support/run-as.js';
import {
  type AgentProcess,
  assertAlive,
  eventually,
  mountTinyTmpfs,
  scrape,
  series,
  startAgentProcess,
  targetDoc,
} from './agent-process.js';

// The followed slow log of a real MariaDB server, broken for real while `dbdiag agent` runs as
// another (unprivileged) account: unreadable at start, rotated logrotate-style to a mode the
// agent cannot read, replaced by a directory, the state file's disk full, the agent restarted.
// Each time the agent stays up, /metrics answers, the fault is reported, and once the fault is
// removed the agent follows the log again by itself without losing or re-reading a statement.

const TARGET = 'mes';
const isRoot = process.getuid?.() === 0;
/** a FUSE view whose reads fail with EIO on demand (test/support/failing-disk.py) */
const FAILING_DISK = join(import.meta.dirname, '..', '..', 'support', 'failing-disk.py');
const canFailDisk =
  existsSync('/dev/fuse') && spawnSync('/usr/bin/python3', ['-c', 'import fuse']).status === 0;

/**
 * Mounts a read-only view of `backing` at `mountpoint` whose reads fail with EIO while `switchFile`
 * exists: a failing disk without device-mapper (not available on every kernel). Attributes are never
 * cached and reads bypass the page cache, so every stat and read of the agent reaches it.
 */
async function mountFailingDisk(backing: string, mountpoint: string, switchFile: string) {
  const child: ChildProcess = spawn(
    '/usr/bin/python3',
    [
      FAILING_DISK,
      backing,
      switchFile,
      mountpoint,
      '-f',
      '-o',
      'allow_other,use_ino,direct_io,attr_timeout=0,entry_timeout=0,negative_timeout=0',
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 20_000;
  while (spawnSync('mountpoint', ['-q', mountpoint]).status !== 0) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error('the failing-disk view did not mount');
    await new Promise((r) => setTimeout(r, 100));
  }
  return () => {
    spawnSync('umount', ['-l', mountpoint]);
    child.kill();
  };
}

/** dbdiag_slow_queries_total of the class `select count(*) from mes.<table> where k = ?` */
function slowCount(text: string, table: string): number {
  const fingerprint = `fingerprint="select count(*) from mes.${table} where k = ?"`;
  const info = text
    .split('\n')
    .find((l) => l.startsWith('dbdiag_slow_query_info{') && l.includes(fingerprint));
  const id = info === undefined ? undefined : /query_id="([^"]+)"/.exec(info)?.[1];
  if (id === undefined) return 0;
  return series(text, 'dbdiag_slow_queries_total', `target="${TARGET}"`, `query_id="${id}"`) ?? 0;
}

describe.runIf(isRoot)('slow-log faults (agent as an unprivileged account, real MariaDB)', () => {
  let root = '';
  let logDir = '';
  let stateDir = '';
  let unmount: (() => void) | null = null;
  let unmountView: (() => void) | null = null;
  let server: TestMysqlServer;
  let agent: AgentProcess;
  let agentUser: RunAsUser;
  let mysqlUser: RunAsUser;
  let config: Record<string, unknown>;
  const logPath = () => join(logDir, 'slow.log');
  const statePath = () => join(stateDir, `${TARGET}.json`);
  /** while this file exists, reads through the failing-disk view return EIO */
  const diskFails = () => join(root, 'disk-fails');

  /** a new log file the server account owns, with the given mode */
  const createLog = (path: string, mode: number) => {
    writeFileSync(path, '');
    chownSync(path, mysqlUser.uid, mysqlUser.gid);
    chmodSync(path, mode);
  };
  const statements = async (table: string, n: number) => {
    for (let i = 0; i < n; i++) await server.exec(`SELECT COUNT(*) FROM mes.${table} WHERE k = ${i}`);
  };
  const counted = (table: string, expected: number) =>
    eventually(`${expected} statements on ${table} counted`, async () => {
      const text = await scrape(agent);
      return slowCount(text, table) === expected ? text : undefined;
    });
  const problem = (reason: string) =>
    eventually(`slow-log problem "${reason}" reported`, async () => {
      const doc = await targetDoc(agent, TARGET);
      return doc.slowLog?.problem?.reason === reason ? doc : undefined;
    });
  /** the rest of the agent is unaffected: the target is sampled and /metrics answers */
  const stillServing = async () => {
    assertAlive(agent);
    return eventually('the target sampled (dbdiag_up 1)', async () => {
      const text = await scrape(agent);
      return series(text, 'dbdiag_up', `target="${TARGET}"`) === 1 ? text : undefined;
    });
  };

  beforeAll(async () => {
    agentUser = serverUser() as RunAsUser; // 'nobody': neither root nor the server's account
    mysqlUser = serverUser(['mysql']) as RunAsUser;
    root = mkdtempSync(join(tmpdir(), 'dbdiag-faults-slowlog-'));
    chmodSync(root, 0o755);
    logDir = join(root, 'log');
    mkdirSync(logDir);
    chownSync(logDir, mysqlUser.uid, mysqlUser.gid);
    chmodSync(logDir, 0o755);
    stateDir = join(root, 'state');
    mkdirSync(stateDir);
    unmount = mountTinyTmpfs(stateDir, '64k', agentUser);
    createLog(logPath(), 0o600); // the agent's account cannot read it when it starts
    server = await startLocalMariadb({
      extraArgs: ['--slow-query-log=ON', `--slow-query-log-file=${logPath()}`, '--long-query-time=0'],
    });
    await server.exec('CREATE DATABASE mes');
    for (const t of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8'])
      await server.exec(`CREATE TABLE mes.${t} (k INT)`);
    config = {
      intervalSeconds: 1,
      topN: { slowQueryClasses: 500 },
      targets: [
        {
          name: TARGET,
          dsn: server.url,
          slowLog: { path: logPath(), format: 'mysql', statePath: statePath() },
        },
      ],
    };
    agent = await startAgentProcess({ user: agentUser, dir: root, config });
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.destroy();
    unmountView?.();
    unmount?.();
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  it('a log unreadable at start is reported and retried; once readable, what was logged since the start is counted', async () => {
    const doc = await problem('unreadable');
    expect(doc.slowLog?.problem?.code).toBe('EACCES');
    const text = await stillServing();
    expect(series(text, 'dbdiag_slowlog_readable', `target="${TARGET}"`)).toBe(0);
    expect(
      series(text, 'dbdiag_slowlog_errors_total', `target="${TARGET}"`, 'reason="unreadable"'),
    ).toBeGreaterThan(0);
    await statements('p1', 3);
    chmodSync(logPath(), 0o644);
    await counted('p1', 3);
    // the counts are served live from the follower; the readable gauge from the next snapshot
    await eventually('the log reported readable again', async () => {
      const text = await scrape(agent);
      return series(text, 'dbdiag_slowlog_readable', `target="${TARGET}"`) === 1 ? text : undefined;
    });
    expect((await targetDoc(agent, TARGET)).slowLog?.problem).toBeNull();
    expect(agent.logged(/readable again/)).toHaveLength(1);
  });

  it('rotated logrotate-style to 0640 (another owner): reported, and the new file is read from its start once readable', async () => {
    await statements('p2', 2);
    await counted('p2', 2);
    renameSync(logPath(), `${logPath()}.1`);
    createLog(logPath(), 0o640);
    await server.exec('FLUSH SLOW LOGS');
    await statements('p2', 3);
    const doc = await problem('unreadable');
    expect(doc.slowLog?.readable).toBe(false);
    await stillServing();
    chmodSync(logPath(), 0o644);
    await counted('p2', 5);
    assertAlive(agent);
  });

  it('replaced by a directory: reported as not-a-file; the file that replaces it is read from its start', async () => {
    renameSync(logPath(), `${logPath()}.2`);
    mkdirSync(logPath());
    const doc = await problem('not-a-file');
    expect(doc.slowLog?.problem?.code).toBe('EISDIR');
    await stillServing();
    rmSync(logPath(), { recursive: true });
    createLog(logPath(), 0o644);
    await server.exec('FLUSH SLOW LOGS');
    await statements('p3', 2);
    await counted('p3', 2);
    expect((await targetDoc(agent, TARGET)).slowLog?.readable).toBe(true);
  });

  it('the disk of the state file full: reported, the log is still followed, and the state is saved again once space is freed', async () => {
    const filler = join(stateDir, 'filler');
    spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k', 'count=64'], { stdio: 'ignore' }); // stops at ENOSPC
    await statements('p4', 2);
    await counted('p4', 2);
    const doc = await eventually('the state write failure reported', async () => {
      const d = await targetDoc(agent, TARGET);
      return d.slowLog?.stateProblem?.code === 'ENOSPC' ? d : undefined;
    });
    expect(doc.slowLog?.readable).toBe(true);
    const text = await stillServing();
    expect(
      series(text, 'dbdiag_slowlog_errors_total', `target="${TARGET}"`, 'reason="state-write-failed"'),
    ).toBeGreaterThan(0);
    rmSync(filler);
    await statements('p4', 1);
    await counted('p4', 3);
    const saved = await eventually('the state saved again', async () => {
      const d = await targetDoc(agent, TARGET);
      if (d.slowLog?.stateProblem !== null || !existsSync(statePath())) return undefined;
      const state = JSON.parse(readFileSync(statePath(), 'utf8')) as { offset: number };
      return state.offset === d.slowLog?.offset ? state : undefined;
    });
    expect(saved.offset).toBeGreaterThan(0);
  });

  it('a restart loses nothing written while the agent was down, and re-reads nothing', async () => {
    expect(await agent.stop()).toBe(0);
    await statements('p5', 3);
    agent = await startAgentProcess({ user: agentUser, dir: root, config });
    const text = await counted('p5', 3);
    for (const table of ['p1', 'p2', 'p3', 'p4']) expect(slowCount(text, table)).toBe(0);
    assertAlive(agent);
  });

  it('without slowLog.statePath the position is kept in the data directory: a restart still loses nothing', async () => {
    expect(await agent.stop()).toBe(0);
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    chownSync(dataDir, agentUser.uid, agentUser.gid);
    // followed through a view of the log directory that the next test makes fail (when FUSE is here)
    let followed = logPath();
    if (canFailDisk) {
      const view = join(root, 'view');
      mkdirSync(view);
      unmountView = await mountFailingDisk(logDir, view, diskFails());
      followed = join(view, 'slow.log');
    }
    const targets = (config.targets as Array<Record<string, unknown>>).map((t) => ({
      ...t,
      slowLog: { path: followed, format: 'mysql' },
    }));
    const inDataDir = { ...config, dataDir, targets };
    // first start: no saved position yet, so the agent starts at the end of the log
    agent = await startAgentProcess({ user: agentUser, dir: root, config: inDataDir });
    await stillServing();
    await statements('p6', 2);
    await counted('p6', 2);
    const saved = join(dataDir, 'slowlog', `${TARGET}.json`);
    await eventually('the position saved in the data directory', async () =>
      existsSync(saved) ? true : undefined,
    );
    expect(await agent.stop()).toBe(0);
    await statements('p7', 3);
    agent = await startAgentProcess({ user: agentUser, dir: root, config: inDataDir });
    const text = await counted('p7', 3);
    expect(slowCount(text, 'p6')).toBe(0);
    assertAlive(agent);
  });

  it.runIf(isRoot && canFailDisk)(
    'a failing disk (reads return EIO): reported and retried, and once it reads again nothing is lost',
    async () => {
      writeFileSync(diskFails(), '');
      await statements('p8', 3);
      const doc = await problem('read-failed');
      expect(doc.slowLog?.problem?.code).toBe('EIO');
      const text = await stillServing();
      expect(
        series(text, 'dbdiag_slowlog_errors_total', `target="${TARGET}"`, 'reason="read-failed"'),
      ).toBeGreaterThan(0);
      rmSync(diskFails());
      await counted('p8', 3);
      expect((await targetDoc(agent, TARGET)).slowLog?.problem).toBeNull();
      assertAlive(agent);
    },
  );
});
