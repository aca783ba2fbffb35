// Moved to agent/sandbox/run-as.ts (the sandbox module starts servers for the demo, drills and tests).
export {
  chownTree,
  currentUserName,
  type RunAsUser,
  runAs,
  serverUser,
  spawnAs,
} from '../../agent/sandbox/run-as.js';
