// Waiting in tests for what happens in the background (a poll, a debounced run): reads until `done` holds, failing with
// the last value read after `ms`. A wait, never a timing assertion: the deadline only bounds a test that would hang.
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`never happened: ${what} (last: ${JSON.stringify(value).slice(0, 400)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
