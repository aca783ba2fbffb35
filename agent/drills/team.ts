import { existsSync, readFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { runbookFile } from './runbook-check.js';

// Team mode: dbdiag detects, shows the runbook's Mitigation in the terminal, and waits while
// people work. Each line the team types marks a step done (a number: that step; an empty line
// or "done": the next one; anything else: a step of its own, in their words), timed since t0.
// The scenario watches the symptom and says when it cleared; "q" gives up.

export interface TeamStepDone {
  /** the runbook step's number, or null for a step in the team's own words */
  step: number | null;
  text: string;
  /** seconds since t0 */
  atSeconds: number;
}

export interface TeamRecord {
  runbook: string | null;
  /** the runbook's Mitigation steps as shown, first line each */
  steps: string[];
  done: TeamStepDone[];
  /** t0 to the symptom cleared (finding resolved, requests clean); null: not within the limit */
  symptomClearedSeconds: number | null;
  gaveUp: boolean;
  /** how long the drill waited for the team at most */
  limitSeconds: number;
}

/** The numbered steps of a runbook's Mitigation section (first line of each), for the terminal. */
export function mitigationSteps(markdown: string): { steps: string[]; text: string } {
  const start = markdown.indexOf('\n## Mitigation\n');
  if (start < 0) return { steps: [], text: '' };
  const rest = markdown.slice(start + '\n## Mitigation\n'.length);
  const next = rest.search(/\n## /);
  const text = (next < 0 ? rest : rest.slice(0, next)).trim();
  const steps = [...text.matchAll(/^\d+\.\s+(.+)$/gm)].map((m) => (m[1] ?? '').trim());
  return { steps, text };
}

export class TeamConsole {
  private lines: Interface | null = null;
  private t0 = 0;
  private record: TeamRecord;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly print: (text: string) => void,
    /** how long the drill waits for the team at most, in seconds */
    readonly limitSeconds: number,
  ) {
    this.record = {
      runbook: null,
      steps: [],
      done: [],
      symptomClearedSeconds: null,
      gaveUp: false,
      limitSeconds,
    };
  }

  /** Shows the runbook's Mitigation and starts taking the team's marks; `t0` in performance.now() time. */
  begin(runbookUrl: string | null, t0: number, where: string): void {
    this.t0 = t0;
    this.record.runbook = runbookUrl;
    const file = runbookUrl === null ? null : runbookFile(runbookUrl);
    const markdown = file !== null && existsSync(file) ? readFileSync(file, 'utf8') : '';
    const { steps, text } = mitigationSteps(markdown);
    this.record.steps = steps;
    this.print(
      [
        '',
        `TEAM MODE — your turn. Runbook: ${runbookUrl ?? '(none)'}`,
        `The faulty server: ${where}`,
        '',
        text === '' ? '(the runbook has no Mitigation section)' : text,
        '',
        `Mark each step when it is done: type its number (Enter alone: the next step; other text: a step in your words; q: give up). dbdiag watches the symptom and stops waiting when it has cleared, or after ${this.limitSeconds} s.`,
        '',
      ].join('\n'),
    );
    this.lines = createInterface({ input: this.input, terminal: false });
    this.lines.on('line', (line) => this.mark(line));
  }

  private mark(raw: string): void {
    const line = raw.trim();
    const atSeconds = Math.round((performance.now() - this.t0) / 100) / 10;
    if (/^(q|quit|give up)$/i.test(line)) {
      this.record.gaveUp = true;
      this.print(`Team gave up after ${atSeconds} s`);
      for (const wake of this.waiters) wake();
      return;
    }
    const marked = new Set(this.record.done.map((d) => d.step));
    let step: number | null = null;
    let text = line;
    if (/^\d+$/.test(line)) step = Number(line);
    else if (line === '' || /^done$/i.test(line)) {
      step = 1;
      while (marked.has(step)) step += 1;
    }
    if (step !== null) text = this.record.steps[step - 1] ?? `step ${step}`;
    this.record.done.push({ step, text, atSeconds });
    this.print(`  [${atSeconds} s] done: ${step === null ? '' : `${step}. `}${text}`);
    for (const wake of this.waiters) wake();
  }

  get gaveUp(): boolean {
    return this.record.gaveUp;
  }

  /** Resolves on the team's next mark (or give-up), or after `ms`. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }

  /** The symptom cleared now (the scenario watches it). */
  cleared(at = performance.now()): void {
    this.record.symptomClearedSeconds ??= Math.round((at - this.t0) / 100) / 10;
  }

  /** The last step the team marked done before the symptom cleared (their mitigation time), in s since t0. */
  lastStepSeconds(): number | null {
    const cleared = this.record.symptomClearedSeconds ?? Number.POSITIVE_INFINITY;
    const before = this.record.done.filter((d) => d.atSeconds <= cleared);
    return before.at(-1)?.atSeconds ?? null;
  }

  end(): TeamRecord {
    this.lines?.close();
    this.lines = null;
    return this.record;
  }
}
