import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type GeneratedFormat, generateLog } from './slowlog-generator.js';

// npm run bench:digest [-- --size-mb 1024 --peer-size-mb 150 --formats mysql,postgres-stderr]
//
// Generates a realistic slow log of the given size per format (cached in the temp dir), then
// measures in one run: `cat` of the file, dbdiag digest (worker threads, all cores), and
// pt-query-digest (MySQL log) / pgbadger (PostgreSQL log) when installed. The peers run at a
// few MB/s, so they read the first --peer-size-mb of the same file; the figures say which size
// each tool read. Peak memory is the max RSS reported by /usr/bin/time.

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    'peer-size-mb': { type: 'string', default: '150' },
    formats: { type: 'string', default: 'mysql,postgres-stderr' },
    dir: { type: 'string', default: tmpdir() },
    shapes: { type: 'string', default: '400' },
  },
});
const sizeMb = Number(values['size-mb']);
const peerMb = Math.min(sizeMb, Number(values['peer-size-mb']));
const formats = values.formats.split(',') as GeneratedFormat[];
const PG_PREFIX = '%m [%p] %q%u@%d ';

interface Figure {
  tool: string;
  file: string;
  mb: number;
  seconds: number;
  mbPerSecond: number;
  events: number | null;
  eventsPerSecond: number | null;
  peakRssMb: number;
}

function timed(
  command: string,
  args: string[],
  stdout: 'ignore' | 'pipe' = 'ignore',
): { seconds: number; rssMb: number; out: string } {
  const res = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %M', command, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', stdout, 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const m = /__TIME__ ([\d.]+) (\d+)/.exec(res.stderr ?? '');
  if (res.status !== 0 || m === null)
    throw new Error(`${command} failed (${res.status}): ${(res.stderr ?? '').slice(-2000)}`);
  return { seconds: Number(m[1]), rssMb: Number(m[2]) / 1024, out: res.stdout ?? '' };
}

function installed(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

/** The first `mb` of `src`, cut at the last entry boundary before that size. */
function slice(src: string, dst: string, mb: number, format: GeneratedFormat): void {
  if (existsSync(dst)) return;
  const bytes = Math.min(statSync(src).size, mb * 1048576);
  const buf = Buffer.allocUnsafe(bytes);
  const fd = openSync(src, 'r');
  readSync(fd, buf, 0, bytes, 0);
  closeSync(fd);
  const marker = format === 'mysql' ? '\n# Time:' : '\n20';
  const cut = buf.lastIndexOf(marker);
  const out = openSync(dst, 'w');
  writeSync(out, buf, 0, cut > 0 ? cut + 1 : bytes);
  closeSync(out);
}

function figure(tool: string, file: string, seconds: number, rssMb: number, events: number | null): Figure {
  const mb = statSync(file).size / 1048576;
  const s = Math.max(seconds, 0.01);
  return {
    tool,
    file,
    mb: Math.round(mb),
    seconds,
    mbPerSecond: Math.round((mb / s) * 10) / 10,
    events,
    eventsPerSecond: events === null ? null : Math.round(events / s),
    peakRssMb: Math.round(rssMb),
  };
}

function dbdiag(file: string, format: GeneratedFormat): { figure: Figure; events: number } {
  const run = timed(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'digest-run.ts'), file, format],
    'pipe',
  );
  const result = JSON.parse(run.out) as { events: number; seconds: number };
  return { figure: figure('dbdiag', file, run.seconds, run.rssMb, result.events), events: result.events };
}

const all: Figure[] = [];
for (const format of formats) {
  const file = join(values.dir, `dbdiag-bench-${format}-${sizeMb}mb.log`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${sizeMb} MB ${format} log at ${file} ...\n`);
    await generateLog(file, format, sizeMb * 1048576, Number(values.shapes));
  }
  const peerFile = join(values.dir, `dbdiag-bench-${format}-${sizeMb}mb-first${peerMb}mb.log`);
  slice(file, peerFile, peerMb, format);

  const cat = timed('cat', [file]);
  all.push(figure('cat', file, cat.seconds, cat.rssMb, null));
  const full = dbdiag(file, format);
  all.push(full.figure);
  const small = dbdiag(peerFile, format);
  all.push(small.figure);
  const peerEvents = small.events;
  if (format === 'mysql' && installed('pt-query-digest')) {
    const pt = timed('pt-query-digest', ['--limit', '20', peerFile]);
    all.push(figure('pt-query-digest', peerFile, pt.seconds, pt.rssMb, peerEvents));
  }
  if (format === 'postgres-stderr' && installed('pgbadger')) {
    const out = join(values.dir, 'dbdiag-bench-pgbadger.txt');
    const pg = timed('pgbadger', ['--quiet', '-f', 'stderr', '-p', PG_PREFIX, '-o', out, peerFile]);
    all.push(figure('pgbadger', peerFile, pg.seconds, pg.rssMb, peerEvents));
  }
}

const line = (f: Figure) =>
  `${f.tool.padEnd(16)} ${String(f.mb).padStart(6)} MB ${f.seconds.toFixed(2).padStart(8)} s ${f.mbPerSecond.toFixed(1).padStart(8)} MB/s ${(f.eventsPerSecond === null ? '-' : f.eventsPerSecond.toLocaleString('en')).padStart(12)} ev/s ${String(f.peakRssMb).padStart(6)} MB RSS  ${f.file}`;
process.stdout.write(
  `${'tool'.padEnd(16)} ${'size'.padStart(9)} ${'time'.padStart(10)} ${'throughput'.padStart(13)} ${'events'.padStart(17)} ${'peak'.padStart(13)}\n`,
);
for (const f of all) process.stdout.write(`${line(f)}\n`);
for (const format of formats) {
  const mine = all.find((f) => f.tool === 'dbdiag' && f.file.includes(format) && !f.file.includes('first'));
  const peerTool = format === 'mysql' ? 'pt-query-digest' : 'pgbadger';
  const peer = all.find((f) => f.tool === peerTool && f.file.includes(format));
  if (mine !== undefined && peer !== undefined) {
    process.stdout.write(
      `${format}: dbdiag ${(mine.mbPerSecond / peer.mbPerSecond).toFixed(1)}x ${peerTool} throughput (dbdiag on ${mine.mb} MB, ${peerTool} on ${peer.mb} MB), dbdiag peak RSS ${mine.peakRssMb} MB\n`,
    );
  }
}
