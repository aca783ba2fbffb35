import { createServer } from 'node:net';

// A TCP port nobody listens on right now, on loopback. The kernel picks it (port 0), so two
// test files asking at once never get the same one; the small race until the server binds
// it is accepted (the servers we start fail loudly if it is taken).
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port the kernel picked'));
      });
    });
  });
}
