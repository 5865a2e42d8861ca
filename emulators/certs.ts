// A self-signed development certificate for the emulators. The Azure SDK clients insist on HTTPS for bearer
// tokens, so the emulators serve TLS with this certificate and Node trusts it through NODE_EXTRA_CA_CERTS,
// which must be set before Node starts (the launchers and `npm test` do it).
// Names: localhost, *.vault.localhost (one host name per emulated vault, so the vault name is the first label
// of a kid exactly as in Azure), 127.0.0.1 and ::1.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import selfsigned from 'selfsigned';

export interface DevCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** File holding the certificate: the value for NODE_EXTRA_CA_CERTS. */
  readonly caPath: string;
}

export const DEFAULT_CERT_DIR = '.keysteward/certs';
const RENEW_BEFORE_MS = 7 * 86_400_000;

function usable(certPath: string, keyPath: string): boolean {
  if (!existsSync(certPath) || !existsSync(keyPath)) return false;
  try {
    const cert = new X509Certificate(readFileSync(certPath));
    return Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS && (cert.subjectAltName ?? '').includes('*.vault.localhost');
  } catch {
    return false;
  }
}

/** Returns the certificate in `dir`, creating (or renewing) it when missing or near expiry. */
export async function ensureDevCertificate(dir = DEFAULT_CERT_DIR): Promise<DevCertificate> {
  const root = resolve(dir);
  const certPath = join(root, 'dev-cert.pem');
  const keyPath = join(root, 'dev-key.pem');
  if (!usable(certPath, keyPath)) {
    mkdirSync(root, { recursive: true });
    const notBeforeDate = new Date(Date.now() - 86_400_000);
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'keysteward local emulators' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate: new Date(notBeforeDate.getTime() + 365 * 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 2, value: '*.vault.localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    });
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
    writeFileSync(certPath, pems.cert);
  }
  return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8'), caPath: certPath };
}
