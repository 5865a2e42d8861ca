// The private registry holding the worker image (existing), deployed into its resource group: pull, nothing else.
// Shape of the role assignment: see core.bicep.
param registryName string
param principals object

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

// AcrPull: the Container App pulls the worker image with the worker identity.
resource workerPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principals.worker, '7f951dda-4ed3-4680-a7ca-43fe172d538d')
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '7f951dda-4ed3-4680-a7ca-43fe172d538d')
    principalId: principals.worker
    principalType: 'ServicePrincipal'
  }
}
