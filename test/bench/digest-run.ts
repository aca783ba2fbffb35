import { digestInputs } from '../../agent/slowlog/read.js';

// One dbdiag digest run for the benchmark, in its own process so /usr/bin/time measures its
// peak memory (worker threads included). Prints {events, classes, seconds} as JSON.

const [path, format] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: digest-run.ts FILE [FORMAT]');
const started = performance.now();
const { digest } = await digestInputs([path], { format: (format ?? 'auto') as 'auto', maxClasses: 5000 });
const seconds = (performance.now() - started) / 1000;
const state = digest.state();
process.stdout.write(
  `${JSON.stringify({ events: digest.events, classes: state.classes.length, skipped: state.skipped.lines, seconds })}\n`,
);
