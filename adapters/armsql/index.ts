// ARM SQL adapter over @azure/arm-sql: server keys and the TDE encryption protector, with typed errors.
export { createProtectorSwitch } from './sqlProtectorSwitch.js';
export type { ProtectorSwitchOptions } from './sqlProtectorSwitch.js';
export type { ProtectorState, ProtectorSwitch } from './protectorSwitch.js';
export { parseServerId, sameKid, serverKeyNameOf } from './keyIds.js';
export type { SqlServerRef } from './keyIds.js';
export {
  ArmSqlError,
  ArmSqlForbiddenError,
  ArmSqlGeoReplicationError,
  ArmSqlKeyAccessError,
  ArmSqlNotFoundError,
  ArmSqlThrottledError,
  ArmSqlUnauthenticatedError,
  toArmSqlError,
} from './errors.js';
export type { ArmSqlCallSite, ArmSqlDetails } from './errors.js';
