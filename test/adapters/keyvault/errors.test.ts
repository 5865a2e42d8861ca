// RestError → typed Key Vault errors: the class says what happened, `denial` says why, and nothing secret survives.
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { ErrorBodies } from '../../../adapters/keyvault/errorBodies.js';
import {
  KeyVaultError,
  KeyVaultForbiddenError,
  KeyVaultNotFoundError,
  KeyVaultThrottledError,
  KeyVaultUnauthenticatedError,
  toKeyVaultError,
} from '../../../adapters/keyvault/errors.js';

const AT = { vault: 'kv-a', operation: 'unwrapKey' };
const JWT = 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJvaWQiOiIxMjM0NTY3ODkwYWJjZGVmIn0.c2lnbmF0dXJlc2lnbmF0dXJl';

function restError(status: number, code: string, message: string, innerCode?: string, headers: Record<string, string> = {}): RestError {
  const request = createPipelineRequest({ url: 'https://kv-a.vault.azure.net/keys/k/v/unwrapkey', headers: createHttpHeaders({ authorization: `Bearer ${JWT}` }) });
  const err = new RestError(message, { statusCode: status, code, request, response: { status, headers: createHttpHeaders(headers), request } });
  err.details = { error: { code, message, ...(innerCode ? { innerError: { code: innerCode } } : {}) } };
  return err;
}

describe('toKeyVaultError', () => {
  it.each([
    ['ForbiddenByRbac', 'Caller is not authorized to perform action on resource.\r\nIf role assignments...', 'rbac'],
    ['AccessDenied', "The user, group or application 'appid=a;oid=o' does not have keys unwrapKey permission on key vault 'kv-a;location=eastus'.", 'access_policy'],
    ['ForbiddenByFirewall', 'Client address is not authorized and caller is not a trusted service.', 'firewall'],
    ['KeyDisabled', 'Operation unwrapKey is not allowed on a disabled key.', 'disabled'],
    ['KeyExpired', 'Operation wrapKey is not allowed on an expired key.', 'expired'],
    [undefined, 'Client address is not authorized and caller is not a trusted service.', 'firewall'],
    ['ForbiddenByPolicy', 'Operation "purge" is not allowed because purge protection is enabled for this vault.', 'other'],
  ])('403 with inner code %s → KeyVaultForbiddenError(%s…) denial %s', (inner, message, denial) => {
    const e = toKeyVaultError(restError(403, 'Forbidden', message, inner), AT);
    expect(e).toBeInstanceOf(KeyVaultForbiddenError);
    expect(e).toMatchObject({ status: 403, code: 'Forbidden', innerCode: inner ?? null, denial, vault: 'kv-a', operation: 'unwrapKey' });
    expect(e.message.split('\n')).toHaveLength(1);
  });

  it('404 → KeyVaultNotFoundError; 401 → KeyVaultUnauthenticatedError; 500 → KeyVaultError', () => {
    expect(toKeyVaultError(restError(404, 'KeyNotFound', 'A key with (name/id) k was not found in this key vault.'), AT)).toBeInstanceOf(KeyVaultNotFoundError);
    expect(toKeyVaultError(restError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.'), AT)).toBeInstanceOf(KeyVaultUnauthenticatedError);
    const other = toKeyVaultError(restError(500, 'InternalServerError', 'boom'), AT);
    expect(other.constructor).toBe(KeyVaultError);
    expect(other.status).toBe(500);
  });

  it('429 → KeyVaultThrottledError with Retry-After in ms', () => {
    const e = toKeyVaultError(restError(429, 'Throttled', 'Request was not processed because too many requests were received.', undefined, { 'retry-after': '7' }), AT);
    expect(e).toBeInstanceOf(KeyVaultThrottledError);
    expect((e as KeyVaultThrottledError).retryAfterMs).toBe(7000);
    expect(e.message).toContain('retry after 7000 ms');
  });

  it('a network failure has no status; token-like text is redacted; nothing of the request is kept', () => {
    const e = toKeyVaultError(new Error(`connect ECONNREFUSED while sending Bearer ${JWT}`), AT);
    expect(e).toMatchObject({ status: null, code: 'Error' });
    expect(e.message).toContain('[redacted]');
    const forbidden = toKeyVaultError(restError(403, 'Forbidden', `Caller is not authorized. token ${JWT}`, 'ForbiddenByRbac'), AT);
    for (const err of [e, forbidden]) {
      const all = JSON.stringify({ ...err, message: err.message, stack: err.stack });
      expect(all).not.toContain(JWT.split('.')[1]);
      expect(all).not.toContain('authorization');
    }
  });

  it('reads the inner code kept by ErrorBodies when a pager threw without details', async () => {
    const bodies = new ErrorBodies();
    const request = createPipelineRequest({ url: 'https://kv-a.vault.azure.net/keys/k/versions' });
    await bodies.policy.sendRequest(request, async () => ({
      status: 403,
      headers: createHttpHeaders(),
      request,
      bodyAsText: JSON.stringify({ error: { code: 'Forbidden', message: 'Client address is not authorized and caller is not a trusted service.\r\nClient address: 10.0.0.1', innererror: { code: 'ForbiddenByFirewall' } } }),
    }));
    const pagerError = new RestError('Pagination failed with unexpected statusCode 403', { statusCode: 403, code: 'Forbidden', request, response: { status: 403, headers: createHttpHeaders(), request } });
    const e = toKeyVaultError(pagerError, { vault: 'kv-a', operation: 'listPropertiesOfKeyVersions' }, bodies);
    expect(e).toMatchObject({ innerCode: 'ForbiddenByFirewall', denial: 'firewall', detail: 'Client address is not authorized and caller is not a trusted service.' });
  });
});
