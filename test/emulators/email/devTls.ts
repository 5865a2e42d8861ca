// TLS trust for tests of the HTTPS emulators. The project runs tests with NODE_EXTRA_CA_CERTS pointing at the dev
// certificate (the real path the SDK clients take locally); when a runner did not set it, SDK clients get an
// agent trusting the certificate instead, so the tests still go through the real SDK over HTTPS.
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { DEFAULT_CERT_DIR, ensureDevCertificate } from '../../../emulators/certs.js';
import type { DevCertificate } from '../../../emulators/certs.js';

export const devCert = (): Promise<DevCertificate> => ensureDevCertificate(DEFAULT_CERT_DIR);

/** Whether this process started with NODE_EXTRA_CA_CERTS naming a file that holds the dev certificate. */
export function devCertTrusted(cert: DevCertificate): boolean {
  const file = process.env['NODE_EXTRA_CA_CERTS'];
  if (!file) return false;
  try {
    return readFileSync(file, 'utf8').includes(cert.certPem.trim());
  } catch {
    return false;
  }
}

export function trustPolicies(cert: DevCertificate): Array<{ policy: PipelinePolicy; position: 'perCall' }> {
  if (devCertTrusted(cert)) return [];
  const agent = new Agent({ ca: cert.certPem, keepAlive: false });
  return [{ policy: { name: 'testDevCertTrust', sendRequest: (req, next) => ((req.agent = agent), next(req)) }, position: 'perCall' }];
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** A bare HTTPS request (no SDK) trusting the dev certificate. */
export function rawRequest(cert: DevCertificate, url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
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
