import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../agent/package-root.js';

// README's layout section agrees with the tree: every folder and top-level file of agent/ is
// named there, and nothing it names under agent/ is missing. (DESIGN.md's layout lives outside
// the repository; README's section is written to match it.)

const ROOT = packageRoot();

function layoutSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Layout\n');
  expect(start, 'README has a "## Layout" section').toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/**
 * the names the layout block lists at the agent/ level: on a line indented two spaces under
 * agent/, the words of its name column that are a folder (`name/`) or a file (`name.ts`)
 */
function listedUnderAgent(section: string): Set<string> {
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    if (!/^ {2}\S/.test(line)) continue;
    // the name column ends where the description starts, after a run of three or more spaces
    const column = line.trim().split(/ {3,}/)[0] ?? '';
    for (const word of column.split(/\s+/)) {
      if (!/^[a-z-]+(\/|\.ts)$/.test(word)) break;
      names.add(word);
    }
  }
  return names;
}

describe('README layout', () => {
  it('names every folder and top-level file of agent/, and only those', () => {
    const tree = readdirSync(join(ROOT, 'agent'), { withFileTypes: true }).map((e) =>
      e.isDirectory() ? `${e.name}/` : e.name,
    );
    const listed = listedUnderAgent(layoutSection());
    expect([...listed].sort()).toEqual([...tree].sort());
  });
});
