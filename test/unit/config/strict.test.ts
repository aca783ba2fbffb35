import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseListen } from '../../../agent/config/listen.js';
import { loadConfig } from '../../../agent/config/load.js';
import { editDistance, nearest } from '../../../agent/config/suggest.js';

// The config mistakes of issue 10, each a one-line error naming the file, the key and the fix.

const dir = mkdtempSync(join(tmpdir(), 'dbdiag-strict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(text: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

const TARGET = 'targets:\n  - name: plant\n    dsn: postgres://mon@db1/plant\n';

function problem(text: string): string {
  const path = configFile(text);
  try {
    loadConfig(path);
  } catch (error) {
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message.startsWith(`${path}: `)).toBe(true);
    return message;
  }
  throw new Error('the config was accepted');
}

describe('unknown keys', () => {
  it('`target:` instead of `targets:` is an error suggesting targets', () => {
    expect(problem('target:\n  - name: plant\n    dsn: postgres://mon@db1/plant\n')).toMatch(
      /target: unknown key — did you mean "targets"\?/,
    );
  });

  it('intervalSecond suggests intervalSeconds', () => {
    expect(problem(`intervalSecond: 5\n${TARGET}`)).toMatch(
      /intervalSecond: unknown key — did you mean "intervalSeconds"\?/,
    );
  });

  it('a misspelt threshold (swapped letters) suggests the threshold, with its path', () => {
    expect(problem(`thresholds:\n  saturationWarningRatoi: 0.8\n${TARGET}`)).toMatch(
      /thresholds\.saturationWarningRatoi: unknown key — did you mean "saturationWarningRatio"\?/,
    );
  });

  it('an unknown key inside a target is found too, with its index', () => {
    expect(
      problem('targets:\n  - name: plant\n    dsn: postgres://mon@db1/plant\n    slowlog: {path: /x}\n'),
    ).toMatch(/targets\.0\.slowlog: unknown key — did you mean "slowLog"\?/);
  });

  it('a key far from every known one gets no made-up suggestion', () => {
    const message = problem(`colour: blue\n${TARGET}`);
    expect(message).toMatch(/colour: unknown key$/);
  });

  it('lists every problem on the one line', () => {
    const message = problem(`intervalSecond: 5\nlisten: nowhere\n${TARGET}`);
    expect(message).toMatch(/intervalSecond: unknown key.*; listen: /);
  });
});

describe('thresholds consistency and ranges', () => {
  it('warning above critical is refused, naming both values', () => {
    expect(
      problem(`thresholds:\n  saturationWarningRatio: 0.95\n  saturationCriticalRatio: 0.5\n${TARGET}`),
    ).toMatch(/saturationWarningRatio \(0\.95\) must not be above saturationCriticalRatio \(0\.5\)/);
  });

  it('a ratio above 1 is refused (issue: warning 1.5)', () => {
    expect(problem(`thresholds:\n  saturationWarningRatio: 1.5\n${TARGET}`)).toMatch(
      /thresholds\.saturationWarningRatio: /,
    );
  });

  it('durations with a critical level are checked too', () => {
    expect(
      problem(
        `thresholds:\n  idleInTransactionSeconds: 1000\n  idleInTransactionCriticalSeconds: 900\n${TARGET}`,
      ),
    ).toMatch(/idleInTransactionSeconds \(1000\) must not be above idleInTransactionCriticalSeconds/);
  });

  it('equal warning and critical levels are allowed (only critical fires)', () => {
    const config = loadConfig(
      configFile(`thresholds:\n  saturationWarningRatio: 1\n  saturationCriticalRatio: 1\n${TARGET}`),
    );
    expect(config.thresholds.saturationWarningRatio).toBe(1);
  });
});

describe('bounds', () => {
  it('an interval under one second is refused (issue: 0.001 s ran 1,570 queries in 10 s)', () => {
    expect(problem(`intervalSeconds: 0.001\n${TARGET}`)).toMatch(/intervalSeconds: must be at least 1 s/);
    expect(() => loadConfig(undefined, { urls: ['postgres://h/db'], intervalSeconds: 0.5 })).toThrowError(
      /command line: intervalSeconds: must be at least 1 s/,
    );
  });

  it('top-N caps keep the series bounded', () => {
    expect(problem(`topN:\n  statements: 100000\n${TARGET}`)).toMatch(/topN\.statements: /);
    expect(problem(`topN:\n  slowQueryClasses: 0\n${TARGET}`)).toMatch(/topN\.slowQueryClasses: /);
  });

  it('a number given as text is refused', () => {
    expect(problem(`intervalSeconds: fast\n${TARGET}`)).toMatch(/intervalSeconds: .*number/);
  });
});

describe('listen address', () => {
  it('a bare port binds 127.0.0.1; another address must be written out', () => {
    expect(parseListen('19714')).toEqual({ host: '127.0.0.1', port: 19714 });
    expect(parseListen(':19714')).toEqual({ host: '127.0.0.1', port: 19714 });
    expect(parseListen('0.0.0.0:19714')).toEqual({ host: '0.0.0.0', port: 19714 });
    expect(parseListen('[::]:19714')).toEqual({ host: '::', port: 19714 });
  });

  it('a malformed address or a port above 65535 is a config error', () => {
    expect(problem(`listen: "db:http"\n${TARGET}`)).toMatch(/listen: "db:http" is not a port or host:port/);
    expect(problem(`listen: 70000\n${TARGET}`)).toMatch(/listen: /);
    expect(() => loadConfig(undefined, { urls: ['postgres://h/db'], listen: '99999' })).toThrowError(
      /port 99999 is above 65535/,
    );
  });
});

describe('suggestions', () => {
  it('counts a swap of two neighbours as one edit', () => {
    expect(editDistance('Ratoi', 'Ratio')).toBe(1);
    expect(editDistance('target', 'targets')).toBe(1);
  });
  it('suggests nothing for a name unlike every candidate', () => {
    expect(nearest('xyz', ['targets', 'listen'])).toBeNull();
  });
});
