// keysteward's own resources in one resource group, and the role assignments scoped on them.
//
// Every role assignment in deploy/ has the same regular shape (test/deploy/template.test.ts parses it and compares it
// with README "Deploying to Azure" both ways):
//   resource <symbol> 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
//     name: guid(...)
//     scope: <symbol of a resource declared in the same file>      (absent: the file's target scope)
//     properties: {
//       roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '<built-in GUID>' | customRoleIds.<key>)
//       principalId: principals.function | principals.worker
//       principalType: 'ServicePrincipal'
//     }
//   }
param name string
param location string
param tags object
param principals object
param identities object
param customRoleIds object

@description('Storage redundancy of the state account.')
param storageSku string

@description('Azure Cache for Redis SKU (Standard or Premium; Premium adds AOF persistence).')
param redisSku object

@description('Event Hubs partitions per hub (the most Function App instances that can read one hub at once).')
param eventHubPartitions int

@description('The estate file as JSON, mounted into the worker container at /etc/keysteward/estate.json.')
@secure()
param estateFileContent string

@description('Image of the worker / standalone host (the Dockerfile at the repository root).')
param workerImage string

@description('Login server of a private registry holding workerImage (pulled with the worker identity), or empty.')
param containerRegistryServer string

@description('Watched subscriptions for discovery (DISCOVERY_SUBSCRIPTIONS); empty: those of the estate.')
param discoverySubscriptionIds array

@description('Alert recipients (ALERT_TO); empty: the estate\'s notifications.email.to.')
param alertTo array

@description('Dedicated Linux plan SKU of the Function App (alwaysOn for the timers; no content file share, so the storage account can refuse shared keys).')
param functionPlanSku string

@description('Data location of the ACS resources.')
param acsDataLocation string

var storageName = toLower(take('st${replace(name, '-', '')}${uniqueString(resourceGroup().id)}', 24))
var auditHubName = 'insights-logs-auditevent'
var activityHubName = 'insights-activity-logs'
var consumerGroupName = 'keysteward'

// ---------------------------------------------------------------- observability

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${name}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 90
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${name}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

// ---------------------------------------------------------------- storage: keysteward's tables, the Functions host's blobs

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: storageSku }
  properties: {
    // Every client uses Microsoft Entra ID: the Functions host (AzureWebJobsStorage__accountName) and keysteward.
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

// ---------------------------------------------------------------- Event Hubs: Key Vault AuditEvent and activity log

resource eventHubs 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: 'evhns-${name}-${uniqueString(resourceGroup().id)}'
  location: location
  tags: tags
  sku: { name: 'Standard', tier: 'Standard', capacity: 1 }
  properties: {
    minimumTlsVersion: '1.2'
    // Local (SAS) auth stays on for one reason: Azure Monitor diagnostic settings stream through the authorization
    // rule below. keysteward itself reads with its identity (Azure Event Hubs Data Receiver on each hub).
    disableLocalAuth: false
  }
}

// Used by the diagnostic settings only (Azure Monitor requires Manage, Send and Listen on the rule it streams with).
resource diagnosticsRule 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01' = {
  parent: eventHubs
  name: 'azure-monitor-diagnostics'
  properties: {
    rights: [ 'Manage', 'Send', 'Listen' ]
  }
}

resource auditHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: eventHubs
  name: auditHubName
  properties: {
    partitionCount: eventHubPartitions
    messageRetentionInDays: 7
  }
}

resource activityHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: eventHubs
  name: activityHubName
  properties: {
    partitionCount: eventHubPartitions
    messageRetentionInDays: 7
  }
}

resource auditConsumers 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: auditHub
  name: consumerGroupName
}

resource activityConsumers 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: activityHub
  name: consumerGroupName
}

// ---------------------------------------------------------------- Redis: leases, send budget, queues (noeviction)

resource redis 'Microsoft.Cache/redis@2024-03-01' = {
  name: 'redis-${name}-${uniqueString(resourceGroup().id)}'
  location: location
  tags: tags
  properties: {
    sku: redisSku
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    redisConfiguration: {
      // keysteward refuses to start on any other policy: an evicted lease, budget or queue key loses work silently.
      'maxmemory-policy': 'noeviction'
    }
  }
}

// The Redis URL carries the access key, so it lives in a vault of its own and both hosts read it by reference.
resource secrets 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take('kv-${name}-${uniqueString(resourceGroup().id)}', 24)
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: 90
  }
}

resource redisUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: secrets
  name: 'redis-url'
  properties: {
    value: 'rediss://:${redis.listKeys().primaryKey}@${redis.properties.hostName}:${redis.properties.sslPort}'
    contentType: 'text/plain'
  }
}

// ---------------------------------------------------------------- ACS Email

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: 'acs-email-${name}'
  location: 'global'
  tags: tags
  properties: {
    dataLocation: acsDataLocation
  }
}

// An Azure-managed domain (DoNotReply@<guid>.azurecomm.net); link a verified custom domain for production.
resource emailDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: 'acs-${name}-${uniqueString(resourceGroup().id)}'
  location: 'global'
  tags: tags
  properties: {
    dataLocation: acsDataLocation
    linkedDomains: [ emailDomain.id ]
  }
}

// ---------------------------------------------------------------- settings shared by both hosts

var sharedSettings = {
  KEYSTEWARD_MODE: 'azure'
  TABLE_ACCOUNT_URL: storage.properties.primaryEndpoints.table
  REDIS_KEY_PREFIX: 'keysteward:'
  ACS_ENDPOINT: 'https://${communication.properties.hostName}'
  ALERT_SENDER: 'DoNotReply@${emailDomain.properties.mailFromSenderDomain}'
  LOG_ANALYTICS_WORKSPACE_ID: workspace.properties.customerId
  ARM_ENDPOINT: environment().resourceManager
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
}

// ---------------------------------------------------------------- Function App (Linux, Node 20)

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: 'asp-${name}'
  location: location
  tags: tags
  kind: 'linux'
  sku: { name: functionPlanSku }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2023-12-01' = {
  name: 'func-${name}-${uniqueString(resourceGroup().id)}'
  location: location
  tags: tags
  kind: 'functionapp,linux'
  // Roles first: the host reads its storage and the Redis secret reference as it starts.
  dependsOn: [ functionHostBlobs, functionRedisSecret ]
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identities.function.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identities.function.id
    siteConfig: {
      linuxFxVersion: 'Node|20'
      alwaysOn: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: [
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
        { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' }
        { name: 'WEBSITE_RUN_FROM_PACKAGE', value: '1' }
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identities.function.clientId }
        // Identity-based Event Hubs connections named by the triggers (hosts/composition.ts: KV_AUDIT_EH, ACTIVITY_EH).
        { name: 'KV_AUDIT_EH__fullyQualifiedNamespace', value: '${eventHubs.name}.servicebus.windows.net' }
        { name: 'KV_AUDIT_EH__credential', value: 'managedidentity' }
        { name: 'KV_AUDIT_EH__clientId', value: identities.function.clientId }
        { name: 'ACTIVITY_EH__fullyQualifiedNamespace', value: '${eventHubs.name}.servicebus.windows.net' }
        { name: 'ACTIVITY_EH__credential', value: 'managedidentity' }
        { name: 'ACTIVITY_EH__clientId', value: identities.function.clientId }
        { name: 'KV_AUDIT_EVENTHUB', value: auditHub.name }
        { name: 'ACTIVITY_EVENTHUB', value: activityHub.name }
        { name: 'EVENTHUB_CONSUMER_GROUP', value: consumerGroupName }
        // The estate file ships in the function package (wwwroot is the working directory).
        { name: 'KEYSTEWARD_ESTATE', value: 'estate.json' }
        { name: 'KEYSTEWARD_MODE', value: sharedSettings.KEYSTEWARD_MODE }
        { name: 'AZURE_CLIENT_ID', value: identities.function.clientId }
        { name: 'TABLE_ACCOUNT_URL', value: sharedSettings.TABLE_ACCOUNT_URL }
        { name: 'REDIS_URL', value: '@Microsoft.KeyVault(SecretUri=${redisUrl.properties.secretUri})' }
        { name: 'REDIS_KEY_PREFIX', value: sharedSettings.REDIS_KEY_PREFIX }
        { name: 'ACS_ENDPOINT', value: sharedSettings.ACS_ENDPOINT }
        { name: 'ALERT_SENDER', value: sharedSettings.ALERT_SENDER }
        { name: 'ALERT_TO', value: join(alertTo, ',') }
        { name: 'LOG_ANALYTICS_WORKSPACE_ID', value: sharedSettings.LOG_ANALYTICS_WORKSPACE_ID }
        { name: 'ARM_ENDPOINT', value: sharedSettings.ARM_ENDPOINT }
        { name: 'DISCOVERY_SUBSCRIPTIONS', value: join(discoverySubscriptionIds, ',') }
        // The Function App queues rotations; the Container App's `keysteward worker` runs them.
        { name: 'ROTATION_WORKER', value: 'false' }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: sharedSettings.APPLICATIONINSIGHTS_CONNECTION_STRING }
      ]
    }
  }
}

// ---------------------------------------------------------------- Container App: `keysteward worker`

resource containerEnvironment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: 'cae-${name}'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
  }
}

resource worker 'Microsoft.App/containerApps@2024-03-01' = {
  name: 'ca-${name}-worker'
  location: location
  tags: tags
  // The secret reference is resolved when the revision is created.
  dependsOn: [ workerRedisSecret ]
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identities.worker.id}': {} }
  }
  properties: {
    managedEnvironmentId: containerEnvironment.id
    configuration: {
      activeRevisionsMode: 'Single'
      // No ingress: the worker takes its jobs from Redis and serves nothing.
      registries: empty(containerRegistryServer) ? [] : [ { server: containerRegistryServer, identity: identities.worker.id } ]
      secrets: [
        { name: 'redis-url', keyVaultUrl: redisUrl.properties.secretUri, identity: identities.worker.id }
        { name: 'estate', value: estateFileContent }
      ]
    }
    template: {
      containers: [
        {
          name: 'worker'
          image: workerImage
          // ENTRYPOINT is `node dist/cli/main.js` (Dockerfile); `serve` would run the standalone host instead.
          args: [ 'worker' ]
          resources: { cpu: json('1.0'), memory: '2Gi' }
          env: [
            { name: 'KEYSTEWARD_ESTATE', value: '/etc/keysteward/estate.json' }
            { name: 'KEYSTEWARD_MODE', value: sharedSettings.KEYSTEWARD_MODE }
            { name: 'AZURE_CLIENT_ID', value: identities.worker.clientId }
            { name: 'TABLE_ACCOUNT_URL', value: sharedSettings.TABLE_ACCOUNT_URL }
            { name: 'REDIS_URL', secretRef: 'redis-url' }
            { name: 'REDIS_KEY_PREFIX', value: sharedSettings.REDIS_KEY_PREFIX }
            { name: 'ARM_ENDPOINT', value: sharedSettings.ARM_ENDPOINT }
            { name: 'DISCOVERY_SUBSCRIPTIONS', value: join(discoverySubscriptionIds, ',') }
            { name: 'ROTATION_WORKER', value: 'true' }
            { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: sharedSettings.APPLICATIONINSIGHTS_CONNECTION_STRING }
          ]
          volumeMounts: [
            { volumeName: 'estate', mountPath: '/etc/keysteward' }
          ]
        }
      ]
      // Steps are idempotent and claimed in Redis: any number of replicas is safe; two keep a step going on a restart.
      scale: {
        minReplicas: 1
        maxReplicas: 4
      }
      volumes: [
        { name: 'estate', storageType: 'Secret', secrets: [ { secretRef: 'estate', path: 'estate.json' } ] }
      ]
    }
  }
}

// ---------------------------------------------------------------- role assignments scoped on these resources

// Storage Blob Data Owner: the Functions host's own storage (AzureWebJobsStorage: timer and singleton leases, Event Hubs
// trigger checkpoints, host keys). The Functions runtime requires Owner, not Contributor, for identity-based host storage.
resource functionHostBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principals.function, 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
    principalId: principals.function
    principalType: 'ServicePrincipal'
  }
}

// Storage Table Data Contributor: keysteward's tables (state, poison, alerts, rotation and rewrap ledgers, discovery, ITSM).
resource functionTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principals.function, '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
    principalId: principals.function
    principalType: 'ServicePrincipal'
  }
}

// Storage Table Data Contributor: the worker advances rotation runs, rewrap campaigns and the DEK store in the same tables.
resource workerTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principals.worker, '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
    principalId: principals.worker
    principalType: 'ServicePrincipal'
  }
}

// Azure Event Hubs Data Receiver: the Key Vault AuditEvent trigger.
resource functionAuditHub 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(auditHub.id, principals.function, 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde')
  scope: auditHub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde')
    principalId: principals.function
    principalType: 'ServicePrincipal'
  }
}

// Azure Event Hubs Data Receiver: the activity-log trigger.
resource functionActivityHub 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(activityHub.id, principals.function, 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde')
  scope: activityHub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde')
    principalId: principals.function
    principalType: 'ServicePrincipal'
  }
}

// Log Analytics Reader: reconcile re-reads AZKVAuditLogs / AzureActivity from this workspace.
resource functionLogs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principals.function, '73c42c96-874c-492b-b04d-ab87d138a893')
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '73c42c96-874c-492b-b04d-ab87d138a893')
    principalId: principals.function
    principalType: 'ServicePrincipal'
  }
}

// keysteward ACS Email Sender (custom): alert email with the Function App's identity.
resource functionEmail 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, principals.function, 'keysteward ACS Email Sender')
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', customRoleIds.acsEmailSender)
    principalId: principals.function
    principalType: 'ServicePrincipal'
  }
}

// Key Vault Secrets User: the Function App's Key Vault reference to the Redis URL — this one secret, not the vault.
resource functionRedisSecret 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(redisUrl.id, principals.function, '4633458b-17de-408a-b874-0445c86b69e6')
  scope: redisUrl
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
    principalId: principals.function
    principalType: 'ServicePrincipal'
  }
}

// Key Vault Secrets User: the Container App's secret reference to the Redis URL — this one secret, not the vault.
resource workerRedisSecret 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(redisUrl.id, principals.worker, '4633458b-17de-408a-b874-0445c86b69e6')
  scope: redisUrl
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
    principalId: principals.worker
    principalType: 'ServicePrincipal'
  }
}

output workspaceId string = workspace.id
output auditHubName string = auditHub.name
output activityHubName string = activityHub.name
output diagnosticsRuleId string = diagnosticsRule.id
output functionAppName string = functionApp.name
output functionAppHostName string = functionApp.properties.defaultHostName
output workerAppName string = worker.name
output storageAccountName string = storage.name
output redisHostName string = redis.properties.hostName
output alertSender string = sharedSettings.ALERT_SENDER
