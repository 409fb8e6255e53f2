import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, parseSettings, SettingsError } from '../../lib/settings';

describe('stack settings from CDK context', () => {
  it('uses the defaults when the context gives nothing', () => {
    expect(parseSettings({})).toEqual(DEFAULT_SETTINGS);
  });

  it('parses -c strings and cdk.json values into typed settings', () => {
    const settings = parseSettings({
      alertEmail: 'ops@example.com',
      landingExpirationDays: '14',
      bytesScannedCutoffMb: 500,
      destroyOnRemoval: 'true',
      quarantineAlarmThresholdPercent: '2.5',
    });

    expect(settings).toMatchObject({
      alertEmail: 'ops@example.com',
      landingExpirationDays: 14,
      bytesScannedCutoffMb: 500,
      destroyOnRemoval: true,
      quarantineAlarmThresholdPercent: 2.5,
    });
  });

  it.each([
    ['landingExpirationDays', '0', 'landingExpirationDays="0" must be a whole number of days from 1 to 3650'],
    [
      'bytesScannedCutoffMb',
      '5',
      'bytesScannedCutoffMb="5" must be a whole number of MiB (Athena requires at least 10 MB)',
    ],
    ['alertEmail', 'ops', 'alertEmail="ops" must be an email address such as ops@example.com'],
    ['databaseName', 'Ledger-Lake', 'databaseName="Ledger-Lake" must be a Glue database name'],
    ['destroyOnRemoval', 'yes', 'destroyOnRemoval="yes" must be true or false'],
    ['logRetentionDays', '10', 'logRetentionDays="10" must be one of the CloudWatch Logs retention values'],
    [
      'ingestTimeoutSeconds',
      '1200',
      'ingestTimeoutSeconds="1200" must be a whole number of seconds (Lambda allows at most 900)',
    ],
  ])('rejects %s=%s with a message naming the setting, the value and the fix', (key, value, message) => {
    const parse = () => parseSettings({ [key]: value });

    expect(parse).toThrow(SettingsError);
    expect(parse).toThrow(message);
    expect(parse).toThrow(`set it in cdk.json or with -c ${key}=...`);
  });

  it('lists every invalid setting at once', () => {
    try {
      parseSettings({ landingExpirationDays: 'soon', maxReceiveCount: 0 });
      expect.unreachable();
    } catch (error) {
      expect((error as SettingsError).problems.map((problem) => problem.split('=')[0])).toEqual([
        'landingExpirationDays',
        'maxReceiveCount',
      ]);
    }
  });
});
