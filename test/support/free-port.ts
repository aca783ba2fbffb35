// Moved to agent/sandbox/free-port.ts.
export { freePort } from '../../agent/sandbox/free-port.js';
