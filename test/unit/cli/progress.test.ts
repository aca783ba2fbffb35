import type { WriteStream } from 'node:tty';
import { describe, expect, it } from 'vitest';
import { countdown } from '../../../agent/cli/progress.js';

// check's window on a terminal: the seconds left, redrawn in place, cleared at the end.

function fakeTty(): { tty: WriteStream; text: () => string } {
  const parts: string[] = [];
  const tty = { write: (chunk: string) => parts.push(chunk) } as unknown as WriteStream;
  return { tty, text: () => parts.join('') };
}

describe('countdown', () => {
  it('redraws the seconds left on one line and clears it', async () => {
    const { tty, text } = fakeTty();
    const started = Date.now();
    await countdown(2, 'second sample', tty);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1990);
    expect(text().startsWith('\rsecond sample in 2 s \rsecond sample in 1 s ')).toBe(true);
    expect(text().endsWith('\r\u001b[K')).toBe(true);
    expect(text()).not.toContain('\n');
  });

  it('draws nothing and returns at once for a window of 0', async () => {
    const { tty, text } = fakeTty();
    await countdown(0, 'second sample', tty);
    expect(text()).toBe('');
  });
});
