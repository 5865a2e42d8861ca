// A TokenCredential for the local emulators only: it mints an unsigned JWT naming a principal (oid, and the
// managed identity's resource id as xms_mirid), so the Key Vault emulator can apply per-principal access
// control. Production uses @azure/identity (DefaultAzureCredential / managed identity); never this.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

export interface LocalPrincipal {
  readonly oid: string;
  readonly appid?: string;
  /** Resource id of the managed identity's owner (e.g. the SQL server), as Azure puts in `xms_mirid`. */
  readonly mirid?: string;
  readonly tenantId?: string;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export class LocalEmulatorCredential implements TokenCredential {
  constructor(private readonly principal: LocalPrincipal) {}

  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    const now = Math.floor(Date.now() / 1000);
    const scope = Array.isArray(scopes) ? (scopes[0] ?? '') : scopes;
    const claims = {
      aud: scope.replace(/\/\.default$/, ''),
      iss: `https://sts.windows.net/${this.principal.tenantId ?? '00000000-0000-0000-0000-000000000000'}/`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      oid: this.principal.oid,
      appid: this.principal.appid ?? this.principal.oid,
      idtyp: 'app',
      ...(this.principal.mirid ? { xms_mirid: this.principal.mirid } : {}),
    };
    return { token: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`, expiresOnTimestamp: (now + 3600) * 1000 };
  }
}

/** Reads the claims of a LocalEmulatorCredential token (the emulators' side). Null when it is not one. */
export function readLocalToken(authorization: string | undefined): Record<string, unknown> | null {
  const m = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.$/.exec(authorization ?? '');
  if (!m?.[2]) return null;
  try {
    const claims = JSON.parse(Buffer.from(m[2], 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
