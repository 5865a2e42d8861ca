// A TCP proxy that delays what clients send (a small Toxiproxy, reliability.md §4): the workers reach Table Storage
// through it, so every ledger write of a rotation step takes at least the set latency and the suite can see each
// step running — and SIGKILL its worker inside it. Bytes still held back when the client's connection ends are
// dropped, as a request a killed process never finished sending would be.
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface LatencyProxy {
  readonly port: number;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

export async function startLatencyProxy(target: { readonly host: string; readonly port: number }): Promise<LatencyProxy> {
  let latencyMs = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: target.host, port: target.port });
    sockets.add(client).add(upstream);
    const held: Array<{ at: number; data: Buffer }> = [];
    let timer: NodeJS.Timeout | null = null;
    let lastAt = 0;
    const flush = (): void => {
      timer = null;
      const now = Date.now();
      while (held.length > 0 && (held[0]?.at ?? Infinity) <= now) upstream.write((held.shift() as { data: Buffer }).data);
      if (held.length > 0) timer = setTimeout(flush, (held[0]?.at ?? now) - now);
    };
    client.on('data', (data: Buffer) => {
      // Never reorder: a chunk goes no earlier than the one before it, whatever the latency is now.
      const at = Math.max(Date.now() + latencyMs, lastAt);
      lastAt = at;
      if (at <= Date.now() && held.length === 0) {
        upstream.write(data);
        return;
      }
      held.push({ at, data });
      timer ??= setTimeout(flush, at - Date.now());
    });
    upstream.on('data', (data: Buffer) => client.write(data));
    const end = (): void => {
      if (timer) clearTimeout(timer);
      held.length = 0;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    setLatency: (ms) => {
      latencyMs = Math.max(0, ms);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
