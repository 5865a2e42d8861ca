// The Function App's body cap: a declared length past the cap is refused unread; a chunked body is read only up to
// the cap, and the rest of the stream is never pulled (the producer sees the cancel).
import { describe, expect, it } from 'vitest';
import { readStreamBody } from '../../../adapters/http/readBody.js';

function streamOf(chunks: readonly number[], pulled: { n: number; cancelled: boolean }): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i >= chunks.length) return controller.close();
      pulled.n++;
      controller.enqueue(new Uint8Array(chunks[i++]!).fill(120));
    },
    cancel() {
      pulled.cancelled = true;
    },
  });
}

describe('readStreamBody', () => {
  it.each([
    { name: 'under the cap, declared', chunks: [10, 20], declared: '30', max: 64, bytes: 30 },
    { name: 'exactly the cap, undeclared', chunks: [32, 32], declared: null, max: 64, bytes: 64 },
    { name: 'one byte past the cap, undeclared', chunks: [32, 33], declared: null, max: 64, bytes: null },
    { name: 'declared past the cap', chunks: [10], declared: '65', max: 64, bytes: null },
    { name: 'a declared length that lies low is still capped', chunks: [60, 60], declared: '10', max: 64, bytes: null },
    { name: 'empty', chunks: [], declared: '0', max: 64, bytes: 0 },
  ])('$name', async ({ chunks, declared, max, bytes }) => {
    const pulled = { n: 0, cancelled: false };
    const out = await readStreamBody(streamOf(chunks, pulled), declared, max);
    expect(out === null ? null : out.length).toBe(bytes);
  });

  it('stops pulling at the cap: a 1,000-chunk body past it is cancelled after the chunk that crossed it', async () => {
    const pulled = { n: 0, cancelled: false };
    expect(await readStreamBody(streamOf(Array(1000).fill(1024), pulled), null, 4096)).toBeNull();
    expect(pulled.cancelled).toBe(true);
    expect(pulled.n).toBeLessThanOrEqual(6);
  });

  it('refuses a declared oversize body without reading it', async () => {
    const pulled = { n: 0, cancelled: false };
    expect(await readStreamBody(streamOf([1024], pulled), '999999999', 4096)).toBeNull();
    expect(pulled.n).toBe(0);
    expect(pulled.cancelled).toBe(true);
  });

  it('a request without a body is empty', async () => {
    expect((await readStreamBody(null, null, 10))?.length).toBe(0);
  });
});
