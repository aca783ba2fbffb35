import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configJsonSchema, renderConfigExample } from '../../../agent/config/example.js';
import { loadConfig } from '../../../agent/config/load.js';
import { packageRoot } from '../../../agent/package-root.js';

const EXAMPLE = join(packageRoot(), 'packaging', 'config.example.yml');

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
}

/** Every key path of the schema, walked on its own: `topN.statements`, `targets[].slowLog.path`. */
function schemaPaths(node: SchemaNode, prefix = ''): string[] {
  const variants = node.anyOf ?? node.oneOf;
  if (variants) return [...new Set(variants.flatMap((v) => schemaPaths(v, prefix)))];
  if (node.items) return schemaPaths(node.items, `${prefix}[]`);
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...schemaPaths(child, path)];
  });
}

/**
 * The key paths written in the file, active or commented out (`# key:`), from each key line's
 * column (two spaces a level; the `- ` of a list item is a level named `[]`).
 */
function filePaths(text: string): Set<string> {
  const stack: string[] = [];
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    // an optional key inside a commented-out block is commented twice
    const m = /^( *)(?:# )?( *)(?:# )?(- )?([A-Za-z_][\w-]*):(?: |$)/.exec(line);
    if (!m) continue;
    const column = (m[1]?.length ?? 0) + (m[2]?.length ?? 0) + (m[3] ? 2 : 0);
    const depth = column / 2;
    stack.length = depth;
    if (m[3]) stack[depth - 1] = '[]';
    stack[depth] = m[4] ?? '';
    found.add(stack.join('.').replaceAll('.[]', '[]'));
  }
  return found;
}

describe('packaging/config.example.yml', () => {
  const text = readFileSync(EXAMPLE, 'utf8');

  it('is what the generator writes from the schema today (run `npm run config:example` when this fails)', () => {
    expect(text).toBe(renderConfigExample().text);
  });

  it('loads with the config loader', () => {
    const config = loadConfig(EXAMPLE);
    expect(config.targets.map((t) => t.name)).toEqual(['plant-db']);
    expect(config.targets[0]?.dsnEnv).toBe('DBDIAG_PLANT_DB_DSN');
  });

  it('holds the schema defaults as its values', () => {
    const fromExample = loadConfig(EXAMPLE);
    const fromNothing = loadConfig(undefined, {});
    const { targets: _a, ...exampleRest } = fromExample;
    const { targets: _b, ...defaultRest } = fromNothing;
    expect(exampleRest).toEqual(defaultRest);
    expect(parseYaml(text)).toBeTypeOf('object');
  });

  it('shows every key of the schema, each with a description line above it', () => {
    const wanted = schemaPaths(configJsonSchema() as SchemaNode);
    expect(wanted.length).toBeGreaterThan(40);
    const written = filePaths(text);
    expect(wanted.filter((path) => !written.has(path))).toEqual([]);
    const keys = new Set(wanted.map((path) => path.split(/\.|\[\]\./).at(-1)));
    const lines = text.split('\n');
    const undescribed = lines.filter((line, i) => {
      const key = /^ *(?:# )?( *)(?:# )?(- )?([A-Za-z_][\w-]*):/.exec(line)?.[3];
      return key !== undefined && keys.has(key) && !/^ *#/.test(lines[i - 1] ?? '');
    });
    expect(undescribed).toEqual([]);
  });
});
