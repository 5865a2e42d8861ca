// Start-up configuration: where each vault is reached, and the sweep's settings.
import { describe, expect, it } from 'vitest';
import { loadConfig, loadTelemetrySettings, vaultUrlResolver } from '../../hosts/config.js';
import { estateFrom } from '../support/estates.js';

const estate = estateFrom({
  vaults: [{ name: 'kv-cn', uri: 'https://kv-cn.vault.azure.cn/' }, { name: 'kv-plain' }],
  protectors: [],
});
const base = { KEYSTEWARD_ESTATE: 'estate.json', STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' };

describe('vaultUrlResolver', () => {
  it('uses the estate vault uri (sovereign clouds, custom names) when no template is set', () => {
    const url = vaultUrlResolver(loadConfig(base), () => estate);
    expect(url('kv-cn')).toBe('https://kv-cn.vault.azure.cn/');
    expect(url('KV-PLAIN')).toBe('https://kv-plain.vault.azure.net/');
    expect(url('not-in-estate')).toBe('https://not-in-estate.vault.azure.net/');
  });

  it('a template overrides every vault (the local emulators)', () => {
    const url = vaultUrlResolver(loadConfig({ ...base, KEYVAULT_URL_TEMPLATE: 'https://{vault}.vault.localhost:8443/' }), () => estate);
    expect(url('kv-cn')).toBe('https://kv-cn.vault.localhost:8443/');
  });
});

describe('sweep settings', () => {
  it('default to a 20 s budget inside the 30 s schedule and 16 protectors at once, and refuse what is not a positive integer', () => {
    expect(loadConfig(base)).toMatchObject({ SWEEP_SCHEDULE: '*/30 * * * * *', SWEEP_BUDGET_MS: 20_000, SWEEP_CONCURRENCY: 16 });
    expect(loadConfig({ ...base, SWEEP_BUDGET_MS: '45000', SWEEP_CONCURRENCY: '4' })).toMatchObject({ SWEEP_BUDGET_MS: 45_000, SWEEP_CONCURRENCY: 4 });
    expect(() => loadConfig({ ...base, SWEEP_BUDGET_MS: '0' })).toThrow(/SWEEP_BUDGET_MS/);
    expect(() => loadConfig({ ...base, SWEEP_CONCURRENCY: 'many' })).toThrow(/SWEEP_CONCURRENCY/);
  });
});

describe('ROTATION_CONCURRENCY', () => {
  it('defaults to 4 (the rotation worker’s BullMQ concurrency before the setting existed) and takes a positive integer', () => {
    expect(loadConfig(base).ROTATION_CONCURRENCY).toBe(4);
    expect(loadConfig({ ...base, ROTATION_CONCURRENCY: '16' }).ROTATION_CONCURRENCY).toBe(16);
    for (const bad of ['0', '-1', '2.5', 'many']) expect(() => loadConfig({ ...base, ROTATION_CONCURRENCY: bad })).toThrow(/ROTATION_CONCURRENCY/);
  });
});

describe('loadTelemetrySettings', () => {
  it('reads the telemetry settings alone, as loadConfig reads them, and refuses what loadConfig refuses', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_METRIC_EXPORT_INTERVAL: '5000' };
    const alone = loadTelemetrySettings(env);
    expect(alone).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_METRIC_EXPORT_INTERVAL: 5000 });
    expect(loadConfig({ ...base, ...env })).toMatchObject(alone);
    expect(loadTelemetrySettings({})).toEqual({ OTEL_METRIC_EXPORT_INTERVAL: 60_000 });
    expect(() => loadTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'not one' })).toThrow(/Application Insights connection string/);
  });
});
