import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// Every test file gets its own default data directory: an agent a test starts without
// --data-dir (and every child process it spawns) opens a state store of its own, never the
// user's ~/.local/state/dbdiag that other test files, earlier runs or a real agent filled.
// Otherwise findings restored from an earlier run's store show up as active in a new agent.
const stateHome = mkdtempSync(join(tmpdir(), 'dbdiag-test-state-'));
process.env.XDG_STATE_HOME = stateHome;
delete process.env.STATE_DIRECTORY;

afterAll(() => {
  rmSync(stateHome, { recursive: true, force: true });
});
