import { openStore } from '../../agent/state/open.js';

// One process that opens (and so migrates) the store named by its JSON argument, then prints
// the schema version: several at once stand for agents starting together on one store.
const location = JSON.parse(process.argv[2] ?? '{}') as { store?: string; dataDir?: string };
const store = await openStore(location);
process.stdout.write(`${await store.schemaVersion()}\n`);
await store.close();
