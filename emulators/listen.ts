// Every emulator listens on loopback only (it stands in for a cloud service on this machine, never for others).
import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1 (`port` 0 picks a free one) and resolves with the port; rejects if it cannot bind. */
export async function listenOnLoopback(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
