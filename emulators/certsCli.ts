// `node dist/emulators/certsCli.js [dir]`: makes sure the development certificate exists; prints its path.
import { DEFAULT_CERT_DIR, ensureDevCertificate } from './certs.js';

const cert = await ensureDevCertificate(process.argv[2] ?? DEFAULT_CERT_DIR);
process.stdout.write(`${cert.caPath}\n`);
