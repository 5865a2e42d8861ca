// One watched subscription: discovery's Reader, the worker's SQL operation-status reads, and the subscription's
// activity log streamed to the activity hub (and the workspace reconcile reads). Shape of the role assignments: see
// core.bicep; an assignment without `scope` is on this file's target scope, the subscription.
targetScope = 'subscription'

param principals object
param customRoleIds object

@description('Stream this subscription\'s activity log to keysteward (false when another diagnostic setting already does).')
param streamActivityLog bool
param diagnosticsRuleId string
param activityHubName string
param workspaceId string

// Administrative: role assignments, vault and key-vault access policy writes, server identity, encryption protector,
// failovers. Security and Policy carry nothing keysteward judges.
resource activityLog 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (streamActivityLog) {
  name: 'keysteward-activity'
  properties: {
    eventHubAuthorizationRuleId: diagnosticsRuleId
    eventHubName: activityHubName
    workspaceId: workspaceId
    logs: [
      { category: 'Administrative', enabled: true }
    ]
  }
}

// Reader: discovery lists servers, managed instances, encryption protectors, failover groups, replication links,
// databases, Cosmos DB accounts and vaults (README "Discovering the estate"); retirement reads members' protectors.
resource functionReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principals.function, 'acdd72a7-3385-48ef-bd42-f606fba81ae7')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')
    principalId: principals.function
    principalType: 'ServicePrincipal'
  }
}

// keysteward SQL Operation Status Reader (custom): the protector switch polls its long-running operations here.
resource workerOperationStatus 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principals.worker, 'keysteward SQL Operation Status Reader')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', customRoleIds.sqlOperationStatusReader)
    principalId: principals.worker
    principalType: 'ServicePrincipal'
  }
}
