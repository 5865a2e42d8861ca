// wrapKey / unwrapKey / encrypt / decrypt with real RSA-OAEP and RSA-OAEP-256 on the stored key material.
import { keyDisabled, keyExpired, keyNotFound, keyNotYetValid, operationNotPermitted } from './errors.js';
import { rsaAlgorithm, rsaDecrypt, rsaEncrypt } from './keyMaterial.js';
import { base64urlField, keyNameOf, nowSeconds, type Handler } from './operation.js';
import type { CryptoOperation } from './routes.js';
import type { KeyVersion } from './store.js';

/**
 * Whether the version may be used for this operation now, in Key Vault's order and semantics:
 * - disabled: decrypt and unwrap are refused (KeyDisabled, observed on the live service in azure-sdk-for-python#45342);
 *   public-key operations (encrypt, wrap) were observed to pass there, and do here;
 * - outside nbf/exp: encrypt and wrap are refused, decrypt and unwrap still work ("the key MUST NOT be used for
 *   cryptographic operation, except for decrypt, release, unwrap, and verify" — Key Vault key attributes docs),
 *   so data wrapped before expiry stays readable;
 * - an operation missing from key_ops is refused (KeyOperationForbidden).
 */
export function checkUsable(v: KeyVersion, op: CryptoOperation, now: number): void {
  const privateOp = op === 'unwrapKey' || op === 'decrypt';
  if (!v.enabled && privateOp) throw keyDisabled(op);
  if (!privateOp && v.exp !== undefined && now >= v.exp) throw keyExpired(op);
  if (!privateOp && v.nbf !== undefined && now < v.nbf) throw keyNotYetValid(op);
  if (!v.keyOps.includes(op)) throw operationNotPermitted(op);
}

export const cryptoOperation: Handler = (ctx) => {
  const op = ctx.route.crypto;
  const name = keyNameOf(ctx);
  const key = ctx.vault.key(name);
  const v = ctx.vault.version(name, ctx.route.version ?? '');
  if (!key || !v || !op) throw keyNotFound(ctx.route.version ? `${name}/${ctx.route.version}` : name);
  ctx.resolved({ key, version: v });
  checkUsable(v, op, nowSeconds(ctx));
  const alg = rsaAlgorithm(ctx.body.alg);
  const input = base64urlField(ctx.body, 'value');
  const output = op === 'wrapKey' || op === 'encrypt' ? rsaEncrypt(v.material, alg, input) : rsaDecrypt(v.material, alg, input);
  return { status: 200, body: { kid: ctx.vault.kid(key.name, v.version), value: output.toString('base64url') }, target: { key, version: v } };
};
