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

/**
 * The same cap for a fetch-style body (the Functions v4 HttpRequest): a declared Content-Length above `max` is
 * refused before a byte is read, and a chunked body is read only up to the cap — past it the stream is cancelled and
 * null returned — so a hostile 100 MB request (the Functions host's own limit) is never buffered whole.
 */
export async function readStreamBody(body: ReadableStream<Uint8Array> | null, declaredLength: string | null, max: number): Promise<Buffer | null> {
  if (declaredLength !== null && /^\d+$/.test(declaredLength.trim()) && Number(declaredLength) > max) {
    await body?.cancel().catch(() => undefined);
    return null;
  }
  if (body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
}
