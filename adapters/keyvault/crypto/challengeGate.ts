// Works around a race in @azure/keyvault-common 2.1.0 (keyVaultAuthenticationPolicy.js): a client's first request
// is sent without its body to provoke the 401 challenge, and the body is put back only if the challenge state is
// still "started" when that 401 returns. When several first requests of one client are in flight, another one can
// complete the challenge first; the body is then never restored and the request is re-sent EMPTY (the emulator
// answers 400 "The algorithm 'undefined' is not supported"; a real vault would refuse it too). For an unwrap that
// 400 would look like an undecryptable DEK. So a client's first call runs alone; the others wait for it.
import { isRestError } from '@azure/core-rest-pipeline';

export class ChallengeGate {
  private warm = false;
  private warming: Promise<unknown> | null = null;

  async run<T>(call: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.warm) return call();
      if (this.warming !== null) {
        await this.warming.catch(() => undefined);
        continue;
      }
      const first = call();
      this.warming = first;
      try {
        const result = await first;
        this.warm = true;
        return result;
      } catch (err) {
        // Any answer but a 401 came after the challenge was settled; a network failure or an abort did not.
        if (isRestError(err) && err.statusCode !== undefined && err.statusCode !== 401) this.warm = true;
        throw err;
      } finally {
        this.warming = null;
      }
    }
  }
}
