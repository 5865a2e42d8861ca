// One SQL server whose TDE protector keysteward rotates (existing), deployed into the server's resource group: the
// protector switch on this server alone. Shape of the role assignment: see core.bicep.
param serverName string
param principals object
param customRoleIds object

resource server 'Microsoft.Sql/servers@2023-08-01-preview' existing = {
  name: serverName
}

// keysteward SQL TDE Protector Switch (custom): add the new version as a server key, make it the encryption protector.
resource workerSwitch 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(server.id, principals.worker, 'keysteward SQL TDE Protector Switch')
  scope: server
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', customRoleIds.sqlProtectorSwitch)
    principalId: principals.worker
    principalType: 'ServicePrincipal'
  }
}
