// ARM error responses of the SQL resource provider: body `{"error":{"code","message"}}`. Codes and texts come from
// the REST reference error lists (azure-formats.md §7.1.4) [doc] unless marked: [observed] = seen in a real
// response; [inferred] = the emulator's best guess, which nothing may depend on. Front-door errors (auth,
// api-version, throttling) are in ../arm/errors.ts.
import { ArmError, resourceNotFound } from '../arm/errors.js';

/** [observed] generic ARM text for an unknown server. */
export const serverNotFound = (name: string, rg: string): ArmError => resourceNotFound('Microsoft.Sql/servers', name, rg);

/** [doc: troubleshoot-tde "Missing key"] */
export const serverKeyNotFound = (): ArmError =>
  new ArmError(404, 'ServerKeyNotFound', 'The requested server key was not found on the current subscription.');

export const serverKeyDoesNotExist = (): ArmError => new ArmError(409, 'ServerKeyDoesNotExists', 'The server key does not exist.');

export const invalidKeyName = (): ArmError => new ArmError(400, 'InvalidKeyName', 'An invalid value was given for the server key name.');

export const invalidKeyType = (): ArmError => new ArmError(400, 'InvalidKeyType', 'The create server key type is not supported.');

export const invalidUpsertKeyType = (): ArmError =>
  new ArmError(400, 'InvalidUpsertKeyType', "Service-managed TDE keys are managed by the service. Service-managed TDE keys don't support Create or Update by the user.");

export const invalidKeyUpsertRequest = (): ArmError =>
  new ArmError(400, 'InvalidKeyUpsertRequest', 'The create server key request does not exist or has no properties object.');

export const malformedVaultUri = (): ArmError => new ArmError(400, 'AzureKeyVaultMalformedVaultUri', 'The provided Key Vault uri is not valid.');

export const keyNameNotFound = (): ArmError =>
  new ArmError(409, 'AzureKeyVaultKeyNameNotFound', 'The operation could not be completed because the Azure Key Vault Key name does not exist.');

export const missingPermissions = (): ArmError =>
  new ArmError(401, 'AzureKeyVaultMissingPermissions', 'The server is missing required permissions on the Azure Key Vault.');

export const noServerIdentity = (): ArmError =>
  new ArmError(401, 'AzureKeyVaultNoServerIdentity', 'The server identity is not correctly configured on server. Please contact support.');

export const rsaKeyNotSupported = (): ArmError =>
  new ArmError(
    400,
    'AzureKeyVaultRsaKeyNotSupported',
    'The provided key vault uses unsupported RSA Key Size or Key Type. The supported RSA key size is 2048 or 3072 and Key Type is RSA or RSA-HSM.',
  );

export const keyDisabled = (): ArmError =>
  new ArmError(401, 'AzureKeyVaultKeyDisabled', 'The operation could not be completed on the server because the Azure Key Vault key is disabled.');

export const invalidExpirationDate = (): ArmError =>
  new ArmError(400, 'AzureKeyVaultInvalidExpirationDate', 'The operation could not be completed because the Azure Key Vault key expiration date is invalid.');

export const connectionFailed = (): ArmError =>
  new ArmError(503, 'AzureKeyVaultConnectionFailed', 'The operation could not be completed on the server because attempts to connect to Azure Key Vault have failed');

export const keyInUse = (): ArmError => new ArmError(409, 'AzureKeyVaultKeyInUse', 'The key is currently being used by the server.');

export const keyUsedOnGeoPrimary = (keyName: string): ArmError =>
  new ArmError(
    400,
    'AzureKeyVaultKeyUsedOnGeoPrimary',
    `The operation could not be completed because the Azure Key Vault key name ${keyName} is currently set as encryption protector on geo primary.`,
  );

/**
 * Code [doc]; text [observed] (hashicorp/terraform-provider-azurerm#25906 shows it under the code
 * SameKeyMaterialNotFoundOnRemoteServer, reported by the async operation).
 */
export const keyMaterialNotFoundOnRemoteServer = (uri: string, partner: string): ArmError =>
  new ArmError(
    400,
    'KeyMaterialNotFoundOnRemoteServer',
    `All servers linked by Geo replication should have the same key material as the encryption protector of the primary server. Please add the key '${uri}' with the same key material to the secondary server '${partner}'.`,
  );

/** [inferred] */
export const invalidProtectorRequest = (): ArmError =>
  new ArmError(400, 'InvalidEncryptionProtectorRequest', 'The encryption protector request does not exist or has no valid properties object.');

