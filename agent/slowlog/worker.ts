import { parentPort, workerData } from 'node:worker_threads';
import { type DigestOptions, SlowLogDigest } from './digest.js';
import type { ParserSpec } from './formats.js';
import { digestRange } from './read.js';

// One worker thread digests one byte range of a large file and posts its digest back.

interface Job {
  path: string;
  start: number;
  end: number;
  spec: ParserSpec;
  options: DigestOptions;
}

const job = workerData as Job;
const digest = new SlowLogDigest(job.options);
let pending = 0;
digestRange(job.path, job.start, job.end, job.spec, digest, (n) => {
  pending += n;
  if (pending >= 16 * 1024 * 1024) {
    parentPort?.postMessage({ progress: pending });
    pending = 0;
  }
});
if (pending > 0) parentPort?.postMessage({ progress: pending });
parentPort?.postMessage({ state: digest.state() });
