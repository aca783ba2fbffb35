/**
 * Waits `ms`, or less when `signal` aborts (Ctrl-C on a drill): it resolves either way, so a
 * drill's loop checks the signal itself and still runs its cleanup.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
