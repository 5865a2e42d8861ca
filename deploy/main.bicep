// keysteward on Azure: one subscription-scoped deployment creates the resource group and everything keysteward runs on,
// defines its custom roles, and grants its two identities exactly the roles README "Deploying to Azure" lists, each on
// the narrowest scope (a hub, a vault, a server, a secret), in every subscription concerned.
//
//   az deployment sub create --location <region> --template-file deploy/main.bicep --parameters @deploy/main.parameters.json
//
// Kept regular on purpose: test/deploy/template.test.ts parses these files (role assignments, app settings, Redis
// policy, hubs, diagnostic settings) and fails when the template and the README's table drift apart.
targetScope = 'subscription'

@description('Short name used in every resource name: lowercase letters, digits, dashes (Container Apps and storage accept no capitals).')
@minLength(3)
@maxLength(12)
param name string = 'keysteward'

param location string = deployment().location
param resourceGroupName string = 'rg-${name}'
param tags object = { application: 'keysteward' }

@description('Resource ids of the protector vaults (RBAC authorization): AuditEvent diagnostic settings, Key Vault roles.')
param protectorVaultIds array

@description('Resource ids of the SQL servers whose TDE protector keysteward rotates (every geo-replica member).')
param sqlServerIds array = []

@description('Subscriptions discovery reads and whose activity log keysteward follows (default: this one). Include the SQL servers\' subscriptions: the worker polls its protector operations there.')
param watchedSubscriptionIds array = [ subscription().subscriptionId ]

@description('Stream each watched subscription\'s Administrative activity log to the activity hub (false where a diagnostic setting already exports it: a subscription allows five).')
param streamActivityLog bool = true

@description('The estate file (JSON) the worker reads, mounted from a Container App secret. The Function App reads the estate.json in its package.')
@secure()
param estateFileContent string

@description('Image of `keysteward` (Dockerfile at the repository root), e.g. <registry>.azurecr.io/keysteward:1.0.0.')
param workerImage string

@description('Resource id of the Azure Container Registry holding workerImage (AcrPull for the worker identity), or empty for a public image.')
param containerRegistryId string = ''

@description('Alert recipients; empty: the estate\'s notifications.email.to.')
param alertTo array = []

@description('Subscribe every protector vault\'s Event Grid system topic to the Function App. Event Grid validates the function, so set it on a second run, once the code is deployed.')
param subscribeEventGrid bool = false

param storageSku string = 'Standard_ZRS'
param redisSku object = { name: 'Standard', family: 'C', capacity: 1 }
param eventHubPartitions int = 4
param functionPlanSku string = 'P0v3'
param acsDataLocation string = 'United States'

var vaultSubscriptions = [for id in protectorVaultIds: split(id, '/')[2]]
// A skipped module's scope is still evaluated: without a registry, a harmless stand-in id keeps split() in range.
var registryParts = split(empty(containerRegistryId) ? '/subscriptions/${subscription().subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/none' : containerRegistryId, '/')
var serverSubscriptions = [for id in sqlServerIds: split(id, '/')[2]]

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module roles 'modules/customRoles.bicep' = {
  name: 'keysteward-roles'
  params: {
    assignableSubscriptionIds: union(watchedSubscriptionIds, vaultSubscriptions, serverSubscriptions)
  }
}

module ids 'modules/identities.bicep' = {
  name: 'keysteward-identities'
  scope: group
  params: {
    name: name
    location: location
    tags: tags
  }
}

module registryAccess 'modules/registryAccess.bicep' = if (!empty(containerRegistryId)) {
  name: 'keysteward-registry'
  scope: resourceGroup(registryParts[2], registryParts[4])
  params: {
    registryName: last(registryParts)
    principals: ids.outputs.principals
  }
}

module core 'modules/core.bicep' = {
  name: 'keysteward-core'
  scope: group
  dependsOn: [ registryAccess ]
  params: {
    name: name
    location: location
    tags: tags
    principals: ids.outputs.principals
    identities: ids.outputs.identities
    customRoleIds: roles.outputs.customRoleIds
    storageSku: storageSku
    redisSku: redisSku
    eventHubPartitions: eventHubPartitions
    estateFileContent: estateFileContent
    workerImage: workerImage
    containerRegistryServer: empty(containerRegistryId) ? '' : '${last(registryParts)}${environment().suffixes.acrLoginServer}'
    discoverySubscriptionIds: watchedSubscriptionIds
    alertTo: alertTo
    functionPlanSku: functionPlanSku
    acsDataLocation: acsDataLocation
  }
}

module vaults 'modules/vaultAccess.bicep' = [for (vaultId, i) in protectorVaultIds: {
  name: 'keysteward-vault-${i}'
  scope: resourceGroup(split(vaultId, '/')[2], split(vaultId, '/')[4])
  params: {
    vaultName: last(split(vaultId, '/'))
    principals: ids.outputs.principals
    customRoleIds: roles.outputs.customRoleIds
    diagnosticsRuleId: core.outputs.diagnosticsRuleId
    auditHubName: core.outputs.auditHubName
    workspaceId: core.outputs.workspaceId
    eventGridFunctionId: subscribeEventGrid ? '${group.id}/providers/Microsoft.Web/sites/${core.outputs.functionAppName}/functions/eventGridKeyVault' : ''
  }
}]

module sqlServers 'modules/sqlServerAccess.bicep' = [for (serverId, i) in sqlServerIds: {
  name: 'keysteward-sql-${i}'
  scope: resourceGroup(split(serverId, '/')[2], split(serverId, '/')[4])
  params: {
    serverName: last(split(serverId, '/'))
    principals: ids.outputs.principals
    customRoleIds: roles.outputs.customRoleIds
  }
}]

module subscriptions 'modules/subscriptionAccess.bicep' = [for (subscriptionId, i) in watchedSubscriptionIds: {
  name: 'keysteward-subscription-${i}'
  scope: subscription(subscriptionId)
  params: {
    principals: ids.outputs.principals
    customRoleIds: roles.outputs.customRoleIds
    streamActivityLog: streamActivityLog
    diagnosticsRuleId: core.outputs.diagnosticsRuleId
    activityHubName: core.outputs.activityHubName
    workspaceId: core.outputs.workspaceId
  }
}]

output groupName string = group.name
output functionAppName string = core.outputs.functionAppName
output functionAppUrl string = 'https://${core.outputs.functionAppHostName}'
output workerAppName string = core.outputs.workerAppName
output storageAccountName string = core.outputs.storageAccountName
output alertSender string = core.outputs.alertSender
