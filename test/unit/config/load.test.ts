import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redactDsn } from '../../../agent/config/dsn-secrets.js';
import { engineFromDsn, loadConfig, resolveTarget, targetNameFromDsn } from '../../../agent/config/load.js';
import { ConfigError } from '../../../agent/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'dbdiag-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('works with no file at all from --url flags, with the documented defaults', () => {
    const config = loadConfig(undefined, { urls: ['postgres://app@db1:5432/plant'] });
    expect(config.listen).toBe('127.0.0.1:9187');
    expect(config.intervalSeconds).toBe(15);
    expect(config.targets).toEqual([
      expect.objectContaining({ name: 'db1:5432/plant', dsn: 'postgres://app@db1:5432/plant' }),
    ]);
    expect(Object.isFrozen(config.targets)).toBe(true);
  });

  it('names the file and the field of an invalid setting', () => {
    const path = file(
      'bad.yaml',
      'intervalSeconds: -5\ntargets:\n  - name: plant\n    dsn: postgres://x@h/db\n',
    );
    expect(() => loadConfig(path)).toThrowError(new RegExp(`${path}: intervalSeconds`));
  });

  it('rejects a target without a DSN, naming it', () => {
    const path = file('nodsn.json', JSON.stringify({ targets: [{ name: 'plant' }] }));
    expect(() => loadConfig(path)).toThrowError(/targets\.0\.dsn: give either dsn or dsnEnv/);
  });

  it('says when the file is not valid YAML', () => {
    const path = file('broken.yaml', 'targets: [\n');
    expect(() => loadConfig(path)).toThrowError(ConfigError);
  });

  it('takes the DSN from the environment so secrets need not be inline', () => {
    const path = file('env.yaml', 'targets:\n  - name: plant\n    dsnEnv: PLANT_DSN\n');
    const [target] = loadConfig(path).targets;
    expect(resolveTarget(target!, { PLANT_DSN: 'mariadb://u:pw@h/db' })).toMatchObject({
      engine: 'mysql',
      dsn: 'mariadb://u:pw@h/db',
    });
    expect(() => resolveTarget(target!, {})).toThrowError(/PLANT_DSN is not set/);
  });

  it('refuses a DSN whose engine it cannot tell', () => {
    const [target] = loadConfig(undefined, { urls: ['oracle://h/db'] }).targets;
    expect(() => resolveTarget(target!, {})).toThrowError(/cannot tell the engine/);
  });

  it('rejects two targets with one name', () => {
    expect(() => loadConfig(undefined, { urls: ['postgres://h/db', 'postgres://h/db'] })).toThrowError(
      /used by two targets/,
    );
  });
});

describe('DSN helpers', () => {
  it('tells the engine from the scheme', () => {
    expect(engineFromDsn('postgresql://h/db')).toBe('postgres');
    expect(engineFromDsn('mysql://h/db')).toBe('mysql');
    expect(engineFromDsn('mariadb://h/db')).toBe('mysql');
    expect(engineFromDsn('h:5432')).toBeNull();
  });
  it('never puts the password in a target name or a log line', () => {
    expect(targetNameFromDsn('postgres://app:s3cret@db1:5432/plant')).not.toContain('s3cret');
    expect(redactDsn('postgres://app:s3cret@db1/plant')).toBe('postgres://app:***@db1/plant');
  });
});
