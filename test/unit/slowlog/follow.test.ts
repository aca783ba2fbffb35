import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SlowLogTracker } from '../../../agent/slowlog/follow.js';
import { digestInputs } from '../../../agent/slowlog/read.js';
import { generateLog } from '../../bench/slowlog-generator.js';

const line = (sql: string, ms = 10) =>
  `2024-05-01 10:00:00.100 UTC [7] app@plant LOG:  duration: ${ms}.000 ms  statement: ${sql}\n`;
const count = (t: SlowLogTracker, fp: string) =>
  t.signals().classes.find((c) => c.fingerprint === fp)?.count ?? 0;

let dir = '';
afterEach(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('SlowLogTracker (tail -F)', () => {
  it('starts at the end of the file, then counts appended, rotated and truncated data once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-follow-'));
    const path = join(dir, 'postgresql.log');
    writeFileSync(path, line('select 1 from old_table'));
    const tracker = new SlowLogTracker({ path, pollMs: 60_000 });
    const seen: string[] = [];
    tracker.onObservation((id) => seen.push(id));
    await tracker.start();
    appendFileSync(path, line('select * from a where id = 1') + line('select * from a where id = 2'));
    await tracker.poll();
    await tracker.poll(); // a quiet poll completes the last entry
    expect(count(tracker, 'select ? from old_table')).toBe(0);
    expect(count(tracker, 'select * from a where id = ?')).toBe(2);
    // rotation: the old file gets one more line before the new one appears
    appendFileSync(path, line('select * from a where id = 3'));
    renameSync(path, `${path}.1`);
    writeFileSync(path, line('select * from b'));
    await tracker.poll();
    await tracker.poll();
    expect(count(tracker, 'select * from a where id = ?')).toBe(3);
    expect(count(tracker, 'select * from b')).toBe(1);
    // truncation (copytruncate)
    truncateSync(path, 0);
    await tracker.poll();
    appendFileSync(path, line('select * from c'));
    await tracker.poll();
    await tracker.poll();
    expect(count(tracker, 'select * from c')).toBe(1);
    expect(count(tracker, 'select * from b')).toBe(1);
    expect(seen.length).toBe(5);
    const signals = tracker.signals(1);
    expect(signals.classes.map((c) => c.id).at(-1)).toBe('other');
    expect(signals.classes.reduce((n, c) => n + c.count, 0)).toBe(5);
    await tracker.stop();
  });

  it('a restart with a state file resumes where it stopped: nothing read twice, nothing lost', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-follow-'));
    const path = join(dir, 'postgresql.log');
    const statePath = join(dir, 'state.json');
    writeFileSync(path, line('select * from before_start'));
    const first = new SlowLogTracker({ path, statePath, pollMs: 60_000 });
    await first.start();
    appendFileSync(path, line('select * from d where x = 1'));
    await first.poll();
    await first.poll();
    await first.stop();
    appendFileSync(path, line('select * from d where x = 2'));
    const second = new SlowLogTracker({ path, statePath, pollMs: 60_000 });
    await second.start();
    await second.poll();
    await second.poll();
    expect(count(first, 'select * from d where x = ?')).toBe(1);
    expect(count(second, 'select * from d where x = ?')).toBe(1);
    expect(count(second, 'select * from before_start')).toBe(0);
    await second.stop();
  });
});

describe('worker threads', () => {
  it('a file split over 2 worker threads gives the same digest as one thread', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbdiag-workers-'));
    for (const format of ['mysql', 'postgres-stderr'] as const) {
      const path = join(dir, `${format}.log`);
      const written = await generateLog(path, format, 3 * 1024 * 1024, 120, 5);
      const one = await digestInputs([path], { threads: 1 });
      const two = await digestInputs([path], { threads: 2, parallelMinBytes: 0 });
      expect(one.digest.events).toBe(written);
      expect(two.digest.events).toBe(written);
      expect(two.digest.skips.lines).toBe(0);
      // sums may differ in the last bits (other addition order): totals compared apart
      const shape = (d: typeof one) =>
        d.digest
          .classes()
          .map((c) => `${c.id} ${c.count} ${c.maxSeconds} ${c.sketch.quantile(0.95)} ${c.sample}`)
          .sort();
      expect(shape(two)).toEqual(shape(one));
      const totals = new Map(one.digest.classes().map((c) => [c.id, c.totalSeconds]));
      for (const c of two.digest.classes()) expect(c.totalSeconds).toBeCloseTo(totals.get(c.id)!, 6);
    }
    // two 3 MB logs digested three times each, workers started through tsx: ~5 s quiet, 24 s at load 30
  }, 90_000);
});
