// The two user-assigned identities keysteward runs as. User-assigned, so that every role assignment can be made (and
// has propagated) before the Function App and the Container App first start.
//   function — the Function App: ingestion, sweep, reconcile, discovery, HTTP routes (incl. retirement), ITSM.
//   worker   — the Container App running `keysteward worker`: rotation steps and rewrap campaigns.
param name string
param location string
param tags object

resource functionIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}-func'
  location: location
  tags: tags
}

resource workerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}-worker'
  location: location
  tags: tags
}

output principals object = {
  function: functionIdentity.properties.principalId
  worker: workerIdentity.properties.principalId
}

output identities object = {
  function: { id: functionIdentity.id, clientId: functionIdentity.properties.clientId }
  worker: { id: workerIdentity.id, clientId: workerIdentity.properties.clientId }
}
