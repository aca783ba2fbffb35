import type { WriteStream } from 'node:tty';

// Progress of a long command on a terminal (stderr, so stdout stays the command's output):
// nothing is drawn when stderr is a file or a pipe.

/** Waits `seconds`, showing the seconds left on `tty` (null: wait silently). */
export async function countdown(seconds: number, what: string, tty: WriteStream | null): Promise<void> {
  if (seconds <= 0) return;
  const endAt = Date.now() + seconds * 1000;
  if (tty === null) {
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return;
  }
  const draw = () => {
    const left = Math.max(0, Math.ceil((endAt - Date.now()) / 1000));
    tty.write(`\r${what} in ${left} s `);
  };
  draw();
  await new Promise<void>((resolve) => {
    const tick = setInterval(draw, 1000);
    setTimeout(() => {
      clearInterval(tick);
      resolve();
    }, seconds * 1000);
  });
  tty.write('\r\x1b[K');
}
