// Reads a request body up to `max` bytes. Past the cap it keeps draining (without buffering) and resolves null,
// so the caller can still answer 413 on an intact connection. Shared by the standalone host and the emulators.
import type { IncomingMessage } from 'node:http';

export function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => resolve(size > max ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
