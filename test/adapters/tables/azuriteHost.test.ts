// hosts/local/azurite.ts, the Table adapters' test backend: clear failures, nothing left running or on disk.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { startAzurite } from '../../../hosts/local/azurite.js';
import { waitForPort } from '../../../hosts/local/ports.js';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a !== null ? a.port : 0 });
    });
  });
}

describe('startAzurite', () => {
  it('fails clearly, with Azurite\'s own last lines, when its port is taken', async () => {
    const { server, port } = await listen();
    try {
      const err = await startAzurite({ tablePort: port }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String((err as Error).message)).toMatch(/Azurite did not start:\s+azurite-table: exited[\s\S]*EADDRINUSE/);
    } finally {
      server.close();
    }
  });

  it('keeps a caller-supplied workspace and stops both services on close', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keysteward-azurite-test-'));
    try {
      const azurite = await startAzurite({ dir });
      const tablePort = Number(new URL(azurite.tableEndpoint).port);
      const blobPort = Number(new URL(azurite.blobEndpoint).port);
      expect(azurite.connectionString).toContain(`TableEndpoint=${azurite.tableEndpoint};`);
      expect(azurite.connectionString).toContain(`BlobEndpoint=${azurite.blobEndpoint};`);
      await azurite.close();
      expect(await waitForPort(tablePort, { timeoutMs: 200 })).toBe(false);
      expect(await waitForPort(blobPort, { timeoutMs: 200 })).toBe(false);
      expect(existsSync(dir)).toBe(true);
      expect((await readdir(dir)).length).toBeGreaterThan(0); // Azurite's metadata files
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('restart keeps the data written just before it (a graceful stop saves the table database) and the same ports', async () => {
    const azurite = await startAzurite();
    try {
      const table = TableClient.fromConnectionString(azurite.connectionString, 'restartcheck', { allowInsecureConnection: true });
      await table.createTable();
      for (let i = 0; i < 20; i++) await table.createEntity({ partitionKey: 'p', rowKey: String(i), n: i });
      await azurite.restart(50);
      const rows: number[] = [];
      for await (const e of table.listEntities<{ n: number }>()) rows.push(e.n);
      expect(rows.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await azurite.close();
    }
  });
});
