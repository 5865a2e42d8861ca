// In-memory Key Vault and ARM stand-ins for rotation tests (app/rotation ports): versions per vault, imports recorded
// with the JWK each received (tests check none of it leaks), reversible wrap/unwrap.
import type { CreatedVersion, ProtectorSwitchPort, RotationKeys, RsaJwk } from '../../app/rotation/ports.js';
import type { InventoryVersion } from '../../domain/estate/model.js';

/** Key Vault in memory: versions per vault, imports recorded; wrap/unwrap are reversible stand-ins for the vault's. */
export class FakeKeys implements RotationKeys {
  readonly versions = new Map<string, InventoryVersion[]>();
  readonly imports: Array<{ vault: string; tag: string | undefined }> = [];
  /** The key material each import received. */
  readonly imported: RsaJwk[] = [];
  /** Runs before an unwrap (tests stall a worker here, before its fence). */
  beforeUnwrap: () => Promise<void> = async () => undefined;
  beforeImport: () => Promise<void> = async () => undefined;
  /** Runs before a tag is written (tests crash a worker between a rotation and its tag here). */
  beforeTag: () => Promise<void> = async () => undefined;
  /** The key's rotation policy expiry time (ms): Key Vault's `rotate` sets exp = created + this; null: no policy expiry. */
  rotationExpiresIn: number | null = null;
  /** Key Vault's own clock, stamped on every version it makes (default: a counter). */
  kvNow: () => number = () => this.n;
  private n = 0;

  constructor(vaults: readonly string[]) {
    for (const v of vaults) this.versions.set(v, [this.version('seed', {})]);
  }

  private version(thumbprint: string, tags: Record<string, string>): InventoryVersion {
    this.n += 1;
    return { version: this.n.toString(16).padStart(32, '0'), thumbprint, enabled: true, exp: null, nbf: null, created: this.kvNow(), kty: 'RSA', size: 2048, tags };
  }

  async listVersions(vault: string): Promise<InventoryVersion[]> {
    return [...(this.versions.get(vault) ?? [])];
  }
  async importVersion(vault: string, _key: string, jwk: RsaJwk, tags: Readonly<Record<string, string>>, _hsm: boolean, expiresOn: number | null): Promise<CreatedVersion> {
    await this.beforeImport();
    const v = { ...this.version(jwk.n.slice(0, 43), { ...tags }), exp: expiresOn };
    this.versions.get(vault)?.push(v);
    this.imports.push({ vault, tag: tags['keysteward-rotation'] });
    this.imported.push(jwk);
    return { kid: `https://${vault}.vault.azure.net/keys/orders-tde/${v.version}`, version: v.version, thumbprint: v.thumbprint, exp: v.exp, created: v.created };
  }
  async rotate(vault: string, key: string): Promise<CreatedVersion> {
    await this.beforeImport();
    const made = this.version(`rotated-${this.n}`, {});
    const v = { ...made, exp: this.rotationExpiresIn !== null && made.created !== null ? made.created + this.rotationExpiresIn : null };
    this.versions.get(vault)?.push(v);
    this.imports.push({ vault, tag: undefined });
    return { kid: `https://${vault}.vault.azure.net/keys/${key}/${v.version}`, version: v.version, thumbprint: v.thumbprint, exp: v.exp, created: v.created };
  }
  async tagVersion(vault: string, _key: string, version: string, tags: Readonly<Record<string, string>>, expiresOn?: number | null): Promise<void> {
    await this.beforeTag();
    const list = this.versions.get(vault) ?? [];
    const at = list.findIndex((v) => v.version === version);
    const found = list[at];
    if (found) list[at] = { ...found, tags: { ...found.tags, ...tags }, ...(expiresOn != null ? { exp: expiresOn } : {}) };
  }
  async wrap(_vault: string, _key: string, _version: string, data: Buffer): Promise<string> {
    return Buffer.from(data).reverse().toString('base64url');
  }
  async unwrap(_vault: string, _key: string, _version: string, wrapped: string): Promise<Buffer> {
    await this.beforeUnwrap();
    return Buffer.from(wrapped, 'base64url').reverse();
  }
}

export const noArm: ProtectorSwitchPort = {
  getProtector: async () => ({ serverKeyName: 'x', kid: null, serverKeyType: 'AzureKeyVault' }),
  addServerKey: async () => undefined,
  setProtector: async () => undefined,
};

/** ARM SQL in memory: each server's protector is the last kid set on it (what `verify` reads back). */
export class FakeArm implements ProtectorSwitchPort {
  readonly protectors = new Map<string, string>();

  async getProtector(server: string): Promise<{ serverKeyName: string; kid: string | null; serverKeyType: 'AzureKeyVault' | 'ServiceManaged' }> {
    const kid = this.protectors.get(server) ?? null;
    return { serverKeyName: kid ? kid.split('/').slice(-3).join('_') : 'ServiceManaged', kid, serverKeyType: kid ? 'AzureKeyVault' : 'ServiceManaged' };
  }
  async addServerKey(): Promise<void> {}
  async setProtector(server: string, kid: string): Promise<void> {
    this.protectors.set(server, kid);
  }
}
