// One protector vault (existing, RBAC authorization), deployed into the vault's own resource group: its AuditEvent
// diagnostic setting to the audit hub (and the workspace reconcile reads), the Event Grid subscription of the Function
// App, and the role assignments scoped on this vault alone. Shape of the role assignments: see core.bicep.
param vaultName string
param principals object
param customRoleIds object

@description('Namespace authorization rule the diagnostic setting streams with.')
param diagnosticsRuleId string
param auditHubName string
param workspaceId string

@description('Resource id of the Function App\'s Event Grid function (…/sites/<app>/functions/eventGridKeyVault), or empty. Set it once the code is deployed: Event Grid validates the function when the subscription is created.')
param eventGridFunctionId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

// Every data-plane request of the vault, success or denial, reaches keysteward within about a minute (Event Hubs) and is
// re-read by reconcile (Log Analytics, resource-specific table AZKVAuditLogs).
resource auditToEventHubs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'keysteward-audit'
  scope: vault
  properties: {
    eventHubAuthorizationRuleId: diagnosticsRuleId
    eventHubName: auditHubName
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      { category: 'AuditEvent', enabled: true }
    ]
  }
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (!empty(eventGridFunctionId)) {
  name: 'evgt-${vaultName}-keysteward'
  // A system topic lives where its source does.
  location: vault.location
  properties: {
    source: vault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

resource toFunction 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (!empty(eventGridFunctionId)) {
  parent: systemTopic
  name: 'keysteward'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: { resourceId: eventGridFunctionId, maxEventsPerBatch: 1 }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.KeyVault.KeyNewVersionCreated'
        'Microsoft.KeyVault.KeyNearExpiry'
        'Microsoft.KeyVault.KeyExpired'
        'Microsoft.KeyVault.VaultAccessPolicyChanged'
      ]
    }
  }
}

// Key Vault Reader: reconcile reads every version of each protector key (list, get: public parts and attributes only),
// discovery reads key expiry and rotation policy, rotation plans judge live versions. No key material, no crypto.
resource functionReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principals.function, '21090545-7ca7-4776-b22c-e363652d74d2')
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '21090545-7ca7-4776-b22c-e363652d74d2')
    principalId: principals.function
    principalType: 'ServicePrincipal'
  }
}

// keysteward Key Retirer (custom): the retirement route disables an old version once nothing needs it.
resource functionRetirer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principals.function, 'keysteward Key Retirer')
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', customRoleIds.keyRetirer)
    principalId: principals.function
    principalType: 'ServicePrincipal'
  }
}

// keysteward Key Rotator (custom): import / rotate, tag, wrap and unwrap — the rotation and rewrap steps.
resource workerRotator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principals.worker, 'keysteward Key Rotator')
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', customRoleIds.keyRotator)
    principalId: principals.worker
    principalType: 'ServicePrincipal'
  }
}
