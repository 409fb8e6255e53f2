import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  defaultProjectionStartDate,
  parseSettings,
  SettingsError,
} from '../../lib/settings';

const SYNTH_DAY = new Date('2026-12-02T13:56:00Z');

describe('stack settings from CDK context', () => {
  it('uses the defaults when the context gives nothing', () => {
    expect(parseSettings({}, { today: SYNTH_DAY })).toEqual({
      ...DEFAULT_SETTINGS,
      projectionStartDate: '2025-01-01',
    });
  });

  it('dead-letters a message after five receives by default, as AWS recommends for a Lambda source', () => {
    expect(parseSettings({}).maxReceiveCount).toBe(5);
  });

  it('parses -c strings and cdk.json values into typed settings', () => {
    const settings = parseSettings({
      alertEmail: 'ops@example.com',
      opsEmail: 'oncall@example.com',
      landingExpirationDays: '14',
      bytesScannedCutoffMb: 500,
      destroyOnRemoval: 'true',
      quarantineAlarmThresholdPercent: '2.5',
    });

    expect(settings).toMatchObject({
      alertEmail: 'ops@example.com',
      opsEmail: 'oncall@example.com',
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
    ['opsEmail', 'oncall@', 'opsEmail="oncall@" must be an email address such as oncall@example.com'],
    ['databaseName', 'Ledger-Lake', 'databaseName="Ledger-Lake" must be a Glue database name'],
    ['destroyOnRemoval', 'yes', 'destroyOnRemoval="yes" must be true or false'],
    ['logRetentionDays', '10', 'logRetentionDays="10" must be one of the CloudWatch Logs retention values'],
    [
      'ingestTimeoutSeconds',
      '1200',
      'ingestTimeoutSeconds="1200" must be a whole number of seconds (Lambda allows at most 900)',
    ],
    [
      'projectionStartDate',
      '2019-12-31',
      'projectionStartDate="2019-12-31" must be a day written YYYY-MM-DD from 2020-01-01 to 2030-12-31 ' +
        "(the lake's calendar; ingest quarantines rows dated outside it)",
    ],
    [
      'projectionStartDate',
      '2024-02-30',
      'projectionStartDate="2024-02-30" must be a day written YYYY-MM-DD',
    ],
    [
      'projectionStartDate',
      '2024/03/01',
      'projectionStartDate="2024/03/01" must be a day written YYYY-MM-DD',
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

describe('projectionStartDate', () => {
  it.each([
    ['2026-12-02T13:56:00Z', '2025-01-01'],
    ['2026-01-01T00:00:00Z', '2025-01-01'],
    ['2025-12-31T23:59:59Z', '2024-01-01'],
    ['2020-06-01T00:00:00Z', '2020-01-01'],
    ['2033-03-01T00:00:00Z', '2030-12-31'],
  ])('defaults, on %s, to 1 January of the year before (UTC) within the lake calendar: %s', (now, start) => {
    expect(defaultProjectionStartDate(new Date(now))).toBe(start);
  });

  it('reads LEDGERLAKE_PROJECTION_START when the context does not set it', () => {
    const settings = parseSettings(
      { projectionStartDate: '' },
      { environment: { LEDGERLAKE_PROJECTION_START: '2023-07-01' }, today: SYNTH_DAY },
    );

    expect(settings.projectionStartDate).toBe('2023-07-01');
  });

  it('prefers the context over LEDGERLAKE_PROJECTION_START', () => {
    const settings = parseSettings(
      { projectionStartDate: '2024-03-01' },
      { environment: { LEDGERLAKE_PROJECTION_START: '2023-07-01' }, today: SYNTH_DAY },
    );

    expect(settings.projectionStartDate).toBe('2024-03-01');
  });

  it('rejects a bad LEDGERLAKE_PROJECTION_START with a message naming the variable, the value and the fix', () => {
    const parse = () =>
      parseSettings({}, { environment: { LEDGERLAKE_PROJECTION_START: '01/03/2024' }, today: SYNTH_DAY });

    expect(parse).toThrow(SettingsError);
    expect(parse).toThrow(
      'LEDGERLAKE_PROJECTION_START="01/03/2024" (the environment\'s projectionStartDate) must be a day written ' +
        'YYYY-MM-DD from 2020-01-01 to 2030-12-31',
    );
    expect(parse).toThrow('correct or unset the variable, or set projectionStartDate in cdk.json or with -c');
  });
});
