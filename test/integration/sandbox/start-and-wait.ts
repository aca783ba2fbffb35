import { startSandboxServer } from '../../../agent/sandbox/engines.js';
import type { EngineName } from '../../../agent/snapshot/signals.js';

// Starts a sandbox server of the engine named on the command line, prints "ready <dir>" and
// waits to be killed: the test SIGKILLs this process to leave a real leftover behind.
const engine = process.argv[2] as EngineName;
const server = await startSandboxServer(engine, { purpose: 'test' });
process.stdout.write(`ready ${server.dir}\n`);
setInterval(() => undefined, 60_000);
