import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateLog } from './slowlog-generator.js';

// npm run bench:startup [-- --runs 15]
//
// Start-up of the built CLI (dist/, as installed) against a bare `node -e 0` on this machine:
// `dbdiag --version`, `dbdiag digest` on an empty log (the command's start-up alone) and on a
// 1 MB MySQL slow log. Each is run --runs times, interleaved so that load from other processes
// hits all of them alike; the figures are the median and the minimum wall time and the median
// CPU time (user + system, from /usr/bin/time when installed: less sensitive to a busy machine
// than wall time). The load average is printed with them: on a shared machine, read the ratios.

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Math.max(3, Number(values.runs));
const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'agent', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(`bench:startup: ${main} is missing: run npm run build first\n`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'dbdiag-startup-'));
const emptyLog = join(dir, 'empty.log');
writeFileSync(emptyLog, '');
const oneMb = join(dir, 'slow-1mb.log');
await generateLog(oneMb, 'mysql', 1 << 20);

interface Case {
  name: string;
  args: string[];
}
const cases: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'dbdiag --version', args: [main, '--version'] },
  { name: 'dbdiag digest (empty log)', args: [main, 'digest', emptyLog] },
  { name: 'dbdiag digest (1 MB log)', args: [main, 'digest', oneMb] },
];

const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

interface Sample {
  wallMs: number;
  cpuMs: number | null;
}

function runOnce(c: Case): Sample {
  const started = process.hrtime.bigint();
  const res = time
    ? spawnSync(time, ['-f', '__CPU__ %U %S', process.execPath, ...c.args], { encoding: 'utf8' })
    : spawnSync(process.execPath, c.args, { encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.status !== 0) throw new Error(`${c.name} failed (${res.status}): ${res.stderr}`);
  const cpu = /__CPU__ ([\d.]+) ([\d.]+)/.exec(res.stderr ?? '');
  return { wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : null };
}

const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
const loadBefore = loadavg()[0]!;
for (const c of cases) runOnce(c); // warm the file cache
for (let i = 0; i < runs; i++) for (const c of cases) samples.get(c.name)!.push(runOnce(c));
const loadAfter = loadavg()[0]!;
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const stats = cases.map((c) => {
  const list = samples.get(c.name)!;
  const cpu = list.map((s) => s.cpuMs).filter((x): x is number => x !== null);
  return {
    name: c.name,
    wallMedian: median(list.map((s) => s.wallMs)),
    wallMin: Math.min(...list.map((s) => s.wallMs)),
    cpuMedian: cpu.length > 0 ? median(cpu) : null,
  };
});
const base = stats[0]!;
const ms = (n: number) => `${n.toFixed(0)} ms`.padStart(8);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`.padStart(7);
const out: string[] = [
  `start-up, ${runs} runs each, node ${process.version}, ${cpus().length} cores, load average ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}${loadAfter > cpus().length ? ' (busy machine: figures are noisy)' : ''}`,
  `${'command'.padEnd(28)} ${'wall med'.padStart(8)} ${'wall min'.padStart(8)} ${'x node'.padStart(7)} ${'cpu med'.padStart(8)} ${'x node'.padStart(7)}`,
];
for (const s of stats) {
  out.push(
    `${s.name.padEnd(28)} ${ms(s.wallMedian)} ${ms(s.wallMin)} ${ratio(s.wallMedian, base.wallMedian)} ${s.cpuMedian === null ? '       -' : ms(s.cpuMedian)} ${s.cpuMedian === null || base.cpuMedian === null ? '      -' : ratio(s.cpuMedian, base.cpuMedian)}`,
  );
}
process.stdout.write(`${out.join('\n')}\n`);
