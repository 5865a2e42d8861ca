// Custom roles for the permissions keysteward needs that no built-in role grants narrowly enough. Each lists the exact
// operations the code calls (README "Deploying to Azure" names the call sites). Output keys equal the resource
// symbols: test/deploy/template.test.ts follows `customRoleIds.<symbol>` to the roleName below.
targetScope = 'subscription'

@description('Subscriptions in which the roles may be assigned (the protector vaults\', SQL servers\' and watched subscriptions).')
param assignableSubscriptionIds array

var assignableScopes = [for s in union([subscription().subscriptionId], assignableSubscriptionIds): '/subscriptions/${s}']

// Key Vault Crypto Officer would add delete, purge, backup, restore, create and rotation-policy writes; Crypto User
// lacks import and rotate and adds encrypt/decrypt/sign/verify. The rotation worker needs exactly these.
resource keyRotator 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'keysteward Key Rotator')
  properties: {
    roleName: 'keysteward Key Rotator'
    description: 'keysteward rotation worker: read key versions, import or rotate a protector key, tag a version, wrap/unwrap the staging data key and client encryption keys. No delete, purge, backup, restore or key export.'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.KeyVault/vaults/keys/read'
          'Microsoft.KeyVault/vaults/keys/import/action'
          'Microsoft.KeyVault/vaults/keys/rotate/action'
          'Microsoft.KeyVault/vaults/keys/update/action'
          'Microsoft.KeyVault/vaults/keys/wrap/action'
          'Microsoft.KeyVault/vaults/keys/unwrap/action'
        ]
        notDataActions: []
      }
    ]
  }
}

// The retirement route (POST /api/protectors/{id}/versions/{vault}/{version}/disable) sets enabled=false on an old
// version after its gate; Key Vault Reader (also assigned) cannot update a key, Crypto User would add crypto operations.
resource keyRetirer 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'keysteward Key Retirer')
  properties: {
    roleName: 'keysteward Key Retirer'
    description: 'keysteward service: disable a retired key version (update key attributes). No cryptographic operation, no delete.'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.KeyVault/vaults/keys/update/action'
        ]
        notDataActions: []
      }
    ]
  }
}

// SQL Server Contributor would allow deleting servers, firewall, auditing and every other server setting. The
// protector switch (adapters/armsql/sqlProtectorSwitch.ts) reads and writes the server key and the encryption protector.
resource sqlProtectorSwitch 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'keysteward SQL TDE Protector Switch')
  properties: {
    roleName: 'keysteward SQL TDE Protector Switch'
    description: 'keysteward rotation worker: add an Azure Key Vault server key and make it the TDE protector of a SQL server.'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: [
          'Microsoft.Sql/servers/read'
          'Microsoft.Sql/servers/keys/read'
          'Microsoft.Sql/servers/keys/write'
          'Microsoft.Sql/servers/encryptionProtector/read'
          'Microsoft.Sql/servers/encryptionProtector/write'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

// Both writes are long-running: the SDK polls Azure-AsyncOperation / Location URLs under
// /subscriptions/{id}/providers/Microsoft.Sql/locations/{region}/…, outside any server's scope.
resource sqlOperationStatusReader 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'keysteward SQL Operation Status Reader')
  properties: {
    roleName: 'keysteward SQL Operation Status Reader'
    description: 'keysteward rotation worker: read the status of its own server-key and encryption-protector operations.'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: [
          'Microsoft.Sql/locations/serverKeyAzureAsyncOperation/read'
          'Microsoft.Sql/locations/serverKeyOperationResults/read'
          'Microsoft.Sql/locations/encryptionProtectorAzureAsyncOperation/read'
          'Microsoft.Sql/locations/encryptionProtectorOperationResults/read'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

// ACS has no built-in "send email" role (Communication and Email Service Owner can delete the resource and read its
// keys). Email send with a Microsoft Entra token is authorised by these three actions on the Communication Services
// resource (Microsoft's documented custom role for Entra-authenticated email); no ListKeys, no delete.
resource acsEmailSender 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'keysteward ACS Email Sender')
  properties: {
    roleName: 'keysteward ACS Email Sender'
    description: 'keysteward service: send alert email through Azure Communication Services with its managed identity.'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/CommunicationServices/Write'
          'Microsoft.Communication/EmailServices/write'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

// Role definition GUIDs (names): a custom role is one tenant-wide object, so each assignment builds its id with
// subscriptionResourceId() in its own subscription, as for the built-in roles.
output customRoleIds object = {
  keyRotator: keyRotator.name
  keyRetirer: keyRetirer.name
  sqlProtectorSwitch: sqlProtectorSwitch.name
  sqlOperationStatusReader: sqlOperationStatusReader.name
  acsEmailSender: acsEmailSender.name
}
