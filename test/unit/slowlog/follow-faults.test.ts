import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SlowLogTracker } from '../../../agent/slowlog/follow.js';

// Faults of a followed log, injected for real on the file system. No poll may reject (vitest
// fails the run on an unhandled rejection); each fault is reported in status() and cleared by
// itself once the file is back. Permission faults need a non-root user: see
// test/integration/faults/ (the agent runs as another account there).

const line = (sql: string, ms = 10) =>
  `2024-05-01 10:00:00.100 UTC [7] app@plant LOG:  duration: ${ms}.000 ms  statement: ${sql}\n`;
const count = (t: SlowLogTracker, fp: string) =>
  t.signals().classes.find((c) => c.fingerprint === fp)?.count ?? 0;
/** two polls: one reads, a quiet one completes the last entry */
const settle = async (t: SlowLogTracker) => {
  await t.poll();
  await t.poll();
};

let dir = '';
let tracker: SlowLogTracker | null = null;
afterEach(async () => {
  await tracker?.stop();
  tracker = null;
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function setup(): { path: string } {
  dir = mkdtempSync(join(tmpdir(), 'dbdiag-follow-faults-'));
  return { path: join(dir, 'postgresql.log') };
}

describe('a followed log that fails', () => {
  it('replaced by a directory: reported as not-a-file, retried, and a new file is read from its start', async () => {
    const { path } = setup();
    writeFileSync(path, line('select 1 from old_table'));
    tracker = new SlowLogTracker({ path, pollMs: 60_000 });
    await tracker.start();
    appendFileSync(path, line('select * from a where id = 1'));
    renameSync(path, `${path}.1`);
    mkdirSync(path);
    await settle(tracker);
    // the old file was drained before the directory was noticed
    expect(count(tracker, 'select * from a where id = ?')).toBe(1);
    const status = tracker.status();
    expect(status.readable).toBe(false);
    expect(status.problem).toMatchObject({ reason: 'not-a-file', code: 'EISDIR' });
    expect(status.errors['not-a-file']).toBeGreaterThanOrEqual(1);
    expect(status.nextRetryAt).not.toBeNull();
    rmSync(path, { recursive: true });
    writeFileSync(path, line('select * from b') + line('select * from b'));
    await settle(tracker);
    expect(tracker.status()).toMatchObject({ readable: true, problem: null, nextRetryAt: null });
    expect(count(tracker, 'select * from b')).toBe(2);
    expect(count(tracker, 'select ? from old_table')).toBe(0);
  });

  it('the same file moved back after the fault continues at its offset: nothing read twice', async () => {
    const { path } = setup();
    writeFileSync(path, line('select 1 from old_table'));
    tracker = new SlowLogTracker({ path, pollMs: 60_000 });
    await tracker.start();
    appendFileSync(path, line('select * from c where id = 1'));
    await settle(tracker);
    renameSync(path, `${path}.away`);
    mkdirSync(path);
    await tracker.poll();
    expect(tracker.status().problem?.reason).toBe('not-a-file');
    appendFileSync(`${path}.away`, line('select * from c where id = 2'));
    rmSync(path, { recursive: true });
    renameSync(`${path}.away`, path);
    await settle(tracker);
    expect(tracker.status().readable).toBe(true);
    expect(count(tracker, 'select * from c where id = ?')).toBe(2);
    expect(count(tracker, 'select ? from old_table')).toBe(0);
  });

  it('missing at start: reported as missing, then read from its start once it appears', async () => {
    const { path } = setup();
    tracker = new SlowLogTracker({ path, pollMs: 60_000 });
    await tracker.start();
    expect(tracker.status()).toMatchObject({
      readable: false,
      problem: { reason: 'missing', code: 'ENOENT' },
    });
    writeFileSync(path, line('select * from d'));
    await settle(tracker);
    expect(tracker.status().readable).toBe(true);
    expect(count(tracker, 'select * from d')).toBe(1);
    expect(tracker.status().errors.missing).toBe(1);
  });

  it('retries on its own timer with backoff while the fault lasts, and recovers without help', async () => {
    const { path } = setup();
    mkdirSync(path); // a directory from the start
    tracker = new SlowLogTracker({ path, pollMs: 20 });
    await tracker.start();
    expect(tracker.status().problem?.reason).toBe('not-a-file');
    const firstRetry = tracker.status().nextRetryAt ?? 0;
    expect(firstRetry - Date.now()).toBeGreaterThan(500); // backoff, not the 20 ms poll
    await new Promise((r) => setTimeout(r, 1500));
    expect(tracker.status().errors['not-a-file']).toBeGreaterThanOrEqual(2);
    rmSync(path, { recursive: true });
    writeFileSync(path, line('select * from e'));
    const deadline = Date.now() + 10_000;
    while (count(tracker, 'select * from e') < 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(count(tracker, 'select * from e')).toBe(1);
    expect(tracker.status().readable).toBe(true);
  });
});

describe('resume state', () => {
  it('rotated while the agent was down: the new file is read from 0, so nothing written meanwhile is lost', async () => {
    const { path } = setup();
    const statePath = join(dir, 'state', 'follow.json'); // its directory is created
    writeFileSync(path, line('select * from before_start'));
    tracker = new SlowLogTracker({ path, statePath, pollMs: 60_000 });
    await tracker.start();
    appendFileSync(path, line('select * from f where x = 1'));
    await settle(tracker);
    await tracker.stop();
    // down: the old file gets nothing more, logrotate makes a new one that gets two entries
    renameSync(path, `${path}.1`);
    writeFileSync(path, line('select * from f where x = 2') + line('select * from f where x = 3'));
    tracker = new SlowLogTracker({ path, statePath, pollMs: 60_000 });
    await tracker.start();
    await settle(tracker);
    expect(count(tracker, 'select * from f where x = ?')).toBe(2);
  });

  it('a state saved for another path is ignored (the new path starts at its end)', async () => {
    const { path } = setup();
    const statePath = join(dir, 'follow.json');
    writeFileSync(statePath, JSON.stringify({ path: '/elsewhere.log', dev: 1, ino: 1, offset: 0 }));
    writeFileSync(path, line('select * from before_start'));
    tracker = new SlowLogTracker({ path, statePath, pollMs: 60_000 });
    await tracker.start();
    await settle(tracker);
    expect(count(tracker, 'select * from before_start')).toBe(0);
  });

  it('a state file that cannot be written is reported; following goes on, and it is saved once writable', async () => {
    const { path } = setup();
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, ''); // a file where the state directory should be: ENOTDIR / EEXIST
    const statePath = join(blocker, 'follow.json');
    writeFileSync(path, '');
    tracker = new SlowLogTracker({ path, statePath, pollMs: 60_000 });
    await tracker.start();
    appendFileSync(path, line('select * from g'));
    await settle(tracker);
    const status = tracker.status();
    expect(status.readable).toBe(true);
    expect(count(tracker, 'select * from g')).toBe(1);
    expect(status.stateProblem?.reason).toBe('state-write-failed');
    expect(status.errors['state-write-failed']).toBeGreaterThanOrEqual(1);
    rmSync(blocker);
    appendFileSync(path, line('select * from g'));
    await settle(tracker);
    expect(tracker.status().stateProblem).toBeNull();
  });
});
