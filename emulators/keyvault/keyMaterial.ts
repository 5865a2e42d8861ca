// Real RSA key material for the emulator (node:crypto): generation, JWK import, RSA-OAEP / RSA-OAEP-256 wrap and
// unwrap, and the sealed backup blob. Private material never leaves this module except inside a sealed backup.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { badParameter } from './errors.js';

const generateRsa = promisify(generateKeyPair);

export const SUPPORTED_SIZES: readonly number[] = [2048, 3072, 4096];

export interface RsaMaterial {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Public JWK members, base64url (what a key bundle shows). */
  readonly n: string;
  readonly e: string;
  readonly size: number;
}

function fromPrivate(privateKey: KeyObject): RsaMaterial {
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  const size = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw badParameter('The key is not an RSA key.');
  return { privateKey, publicKey, n: jwk.n, e: jwk.e, size };
}

export async function generateRsaMaterial(size: number, publicExponent = 65537): Promise<RsaMaterial> {
  const { privateKey } = await generateRsa('rsa', { modulusLength: size, publicExponent });
  return fromPrivate(privateKey);
}

const PRIVATE_MEMBERS = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;

/** Imports an RSA private JWK (base64url members). Refuses public-only or partial keys, as Key Vault does. */
export function importRsaJwk(jwk: Readonly<Record<string, unknown>>): RsaMaterial {
  const members: Record<string, string> = { kty: 'RSA' };
  for (const m of PRIVATE_MEMBERS) {
    const v = jwk[m];
    if (typeof v !== 'string' || v.length === 0) throw badParameter(`The JSON Web Key is missing the '${m}' member: import needs the private key.`);
    members[m] = v;
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: members, format: 'jwk' });
  } catch {
    throw badParameter('The JSON Web Key is not a valid RSA private key.');
  }
  return fromPrivate(privateKey);
}

/** The private key as JWK members, only for sealing into a backup blob. */
function exportPrivateJwk(material: RsaMaterial): Record<string, unknown> {
  return material.privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
}

export type RsaAlgorithm = 'RSA-OAEP' | 'RSA-OAEP-256';

/**
 * RSA1_5 is refused: Node 20 disables PKCS#1 v1.5 private decryption (CVE-2023-46809), so a value wrapped with it
 * could never be unwrapped here.
 */
export function rsaAlgorithm(alg: unknown): RsaAlgorithm {
  if (alg === 'RSA-OAEP' || alg === 'RSA-OAEP-256') return alg;
  throw badParameter(`The algorithm '${String(alg)}' is not supported by the Key Vault emulator: use RSA-OAEP or RSA-OAEP-256.`);
}

const oaepHash = (alg: RsaAlgorithm): string => (alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1');

export function rsaEncrypt(material: RsaMaterial, alg: RsaAlgorithm, value: Buffer): Buffer {
  try {
    return publicEncrypt({ key: material.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(alg) }, value);
  } catch {
    throw badParameter('The value is too long for this key and algorithm.');
  }
}

export function rsaDecrypt(material: RsaMaterial, alg: RsaAlgorithm, value: Buffer): Buffer {
  try {
    return privateDecrypt({ key: material.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(alg) }, value);
  } catch {
    // [inferred] wording; never echoes the value.
    throw badParameter('The ciphertext could not be decrypted with this key and algorithm.');
  }
}

// ---- Backup blobs -------------------------------------------------------------------------------------------
// Real backups are opaque, encrypted blobs restorable only within one subscription and geography. Here a blob is
// AES-256-GCM sealed under a key shared by every emulator in this process: opaque to callers (no key material is
// readable from it), restorable into any emulated vault of the same process.
const BACKUP_KEY = randomBytes(32);
const BACKUP_MAGIC = Buffer.from('KSKVBK1');

export interface BackupVersion {
  readonly version: string;
  readonly kty: string;
  readonly keyOps: readonly string[];
  readonly enabled: boolean;
  readonly nbf?: number;
  readonly exp?: number;
  readonly created: number;
  readonly updated: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly material: RsaMaterial;
}

export interface BackupContent {
  readonly name: string;
  readonly versions: readonly BackupVersion[];
  readonly rotationPolicy?: unknown;
}

export function sealBackup(content: BackupContent): string {
  const plain = Buffer.from(
    JSON.stringify({ ...content, versions: content.versions.map(({ material, ...rest }) => ({ ...rest, jwk: exportPrivateJwk(material) })) }),
  );
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', BACKUP_KEY, iv);
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([BACKUP_MAGIC, iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

export function unsealBackup(blob: unknown): BackupContent {
  const invalid = badParameter('The backup blob is not valid.');
  if (typeof blob !== 'string') throw invalid;
  const raw = Buffer.from(blob, 'base64url');
  if (raw.length < BACKUP_MAGIC.length + 28 || !raw.subarray(0, BACKUP_MAGIC.length).equals(BACKUP_MAGIC)) throw invalid;
  const at = BACKUP_MAGIC.length;
  let parsed: { name: string; versions: Array<Omit<BackupVersion, 'material'> & { jwk: Record<string, unknown> }>; rotationPolicy?: unknown };
  try {
    const decipher = createDecipheriv('aes-256-gcm', BACKUP_KEY, raw.subarray(at, at + 12));
    decipher.setAuthTag(raw.subarray(at + 12, at + 28));
    parsed = JSON.parse(Buffer.concat([decipher.update(raw.subarray(at + 28)), decipher.final()]).toString('utf8')) as typeof parsed;
  } catch {
    throw invalid;
  }
  return {
    name: parsed.name,
    versions: parsed.versions.map(({ jwk, ...rest }) => ({ ...rest, material: importRsaJwk(jwk) })),
    ...(parsed.rotationPolicy !== undefined ? { rotationPolicy: parsed.rotationPolicy } : {}),
  };
}
