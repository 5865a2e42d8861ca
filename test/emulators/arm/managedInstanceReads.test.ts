// The managed-instance reads discovery makes, through @azure/arm-sql 10 on the ARM emulator: an instance's databases
// (paged) and the instance failover groups of a resource group in a region, with the role of the instance there.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ArmEmulator } from '../../../emulators/arm/index.js';
import type { DevCertificate } from '../../../emulators/certs.js';
import { MI, RG, SUB_A, all, clients, devCert, restError, sqlId, startSmallEstate } from './support.js';

let cert: DevCertificate;
let em: ArmEmulator | undefined;
beforeAll(async () => {
  cert = await devCert();
});
afterEach(async () => {
  await em?.close();
  em = undefined;
});

const MI_DR = sqlId(SUB_A, 'mi-dr', 'managedInstances');

describe('managed instances', () => {
  it('managedDatabases.listByInstance pages through the instance’s databases; an unknown instance is a 404', async () => {
    em = await startSmallEstate(cert, { pageSize: 2, managedInstances: [{ resourceId: MI, location: 'eastus', managedDatabases: ['a', 'b', 'c'] }] });
    const sql = clients(em, cert).sql(SUB_A);
    expect((await all(sql.managedDatabases.listByInstance(RG, 'mi-1'))).map((d) => d.name)).toEqual(['a', 'b', 'c']);
    expect(em.calls().byOperation['managedDatabases.listByInstance']).toBe(2);
    expect(await restError(all(sql.managedDatabases.listByInstance(RG, 'mi-none')))).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('instanceFailoverGroups.listByLocation: the group under each instance’s region, with that instance’s role and the pair', async () => {
    em = await startSmallEstate(cert, {
      managedInstances: [
        { resourceId: MI, location: 'eastus' },
        { resourceId: MI_DR, location: 'westus' },
      ],
      instanceFailoverGroups: [{ name: 'mifg-orders', primary: MI, secondary: MI_DR }],
    });
    const sql = clients(em, cert).sql(SUB_A);
    const [east] = await all(sql.instanceFailoverGroups.listByLocation(RG, 'eastus'));
    const [west] = await all(sql.instanceFailoverGroups.listByLocation(RG, 'westus'));
    expect(east).toMatchObject({ name: 'mifg-orders', replicationRole: 'Primary', partnerRegions: [{ location: 'westus', replicationRole: 'Secondary' }], managedInstancePairs: [{ primaryManagedInstanceId: MI, partnerManagedInstanceId: MI_DR }] });
    expect(west).toMatchObject({ name: 'mifg-orders', replicationRole: 'Secondary', managedInstancePairs: [{ primaryManagedInstanceId: MI, partnerManagedInstanceId: MI_DR }] });
    expect(await all(sql.instanceFailoverGroups.listByLocation(RG, 'northeurope'))).toEqual([]);
  });
});
