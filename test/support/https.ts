// A bare HTTPS request to an emulator (no SDK), trusting the dev certificate: for what an SDK will not send (no
// token, a stale If-Match) or has no method for (a read feed).
import { request } from 'node:https';
import type { DevCertificate } from '../../emulators/certs.js';

export interface HttpsReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

export function httpsRequest(cert: DevCertificate, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ca: cert.certPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
