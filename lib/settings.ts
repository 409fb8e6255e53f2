/**
 * Deployment settings of the ledgerlake stack: read from CDK context (`cdk.json` or `-c key=value`),
 * checked by a small pure rule table, and turned into typed values. Every setting is documented in
 * docs/deploy.md; a bad value fails the synth with a message naming the setting, the value and the fix.
 */
import { LAKE_CALENDAR } from '../src/ingest/lake-layout';

/** The typed settings the stack is built from. */
export interface LedgerlakeSettings {
  /** Glue database holding the dataset tables and the views. */
  readonly databaseName: string;
  /** Email address subscribed to the balance-alert topic; none when undefined. */
  readonly alertEmail: string | undefined;
  /** Email address subscribed to the operations topic (alarm and OK notifications); none when undefined. */
  readonly opsEmail: string | undefined;
  /** Secrets Manager name of the Slack incoming-webhook URL; no Slack notifier when undefined. */
  readonly slackWebhookSecretName: string | undefined;
  /** Days after which landed files expire (their content lives on in the lake). */
  readonly landingExpirationDays: number;
  /** Days after which Athena query results expire. */
  readonly athenaResultsExpirationDays: number;
  /** Days after which S3 server access logs expire. */
  readonly accessLogsExpirationDays: number;
  /** Days after which replaced (noncurrent) versions in the landing and lake buckets expire. */
  readonly noncurrentVersionExpirationDays: number;
  /** Per-query scan limit of the Athena workgroup, in MiB. */
  readonly bytesScannedCutoffMb: number;
  /**
   * Per-query scan limit of the materialization workgroup (the refresh's INSERT INTO statements), in
   * MiB: sized to a full rebuild's batch of 100 days, which reads far more than a routine query.
   */
  readonly materializationBytesScannedCutoffMb: number;
  /** Quarantine share (percent of rows read, per dataset and hour) above which the alarm fires. */
  readonly quarantineAlarmThresholdPercent: number;
  /** Timeout of the ingest Lambda, seconds. */
  readonly ingestTimeoutSeconds: number;
  /** Memory of the ingest Lambda, MiB. */
  readonly ingestMemoryMb: number;
  /** SQS messages (files) per ingest invocation. */
  readonly ingestBatchSize: number;
  /** Most ingest Lambdas running at once. */
  readonly ingestMaxConcurrency: number;
  /**
   * Receives of a message before it moves to the dead-letter queue. The default of 5 is AWS's
   * recommendation for a queue that feeds a Lambda function, so throttled receives do not dead-letter a file.
   */
  readonly maxReceiveCount: number;
  /** Retention of the Lambda log groups, days (must be a CloudWatch Logs retention value). */
  readonly logRetentionDays: number;
  /** Delete buckets (and their objects) and the KMS key with the stack instead of retaining them. */
  readonly destroyOnRemoval: boolean;
  /**
   * First day (`YYYY-MM-DD`) Athena's partition projection lists for the dataset and quarantine
   * tables: days before it stay in the lake but are invisible to Athena.
   */
  readonly projectionStartDate: string;
  /**
   * Part of the views' deployment key: a new value re-creates every view and mart table definition
   * on the next deploy even when no SQL changed (after an upgrade that replaced tables).
   */
  readonly viewsRevision: number;
}

/** Environment variable read for `projectionStartDate` when the context does not set it. */
export const PROJECTION_START_ENVIRONMENT_VARIABLE = 'LEDGERLAKE_PROJECTION_START';

/**
 * The default `projectionStartDate`: the 1st of January of the year before `today` (UTC), kept within
 * the lake's calendar. Synth cannot see which days hold data; this covers the current and the last
 * full year while an unfiltered query lists at most about two years of days instead of the whole
 * calendar. It moves forward each January, so a lake with older data should set the setting.
 */
export function defaultProjectionStartDate(today: Date): string {
  const start = `${today.getUTCFullYear() - 1}-01-01`;
  if (start < LAKE_CALENDAR.first) return LAKE_CALENDAR.first;
  if (start > LAKE_CALENDAR.last) return LAKE_CALENDAR.last;
  return start;
}

/**
 * Why a value is not a day of the lake's calendar written `YYYY-MM-DD`, or undefined when it is one.
 * Shared by the setting and the `DatasetTables` construct.
 */
export function lakeDayProblem(value: unknown): string | undefined {
  const expected =
    `must be a day written YYYY-MM-DD from ${LAKE_CALENDAR.first} to ${LAKE_CALENDAR.last} ` +
    `(the lake's calendar; ingest quarantines rows dated outside it)`;
  if (typeof value !== 'string') return expected;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return expected;
  const day = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  const isCalendarDay = day.toISOString().slice(0, 10) === value;
  if (!isCalendarDay || value < LAKE_CALENDAR.first || value > LAKE_CALENDAR.last) return expected;
  return undefined;
}

/** The defaults that do not depend on the synth date; see `defaultSettings` for all of them. */
export const DEFAULT_SETTINGS: Omit<LedgerlakeSettings, 'projectionStartDate'> = {
  databaseName: 'ledgerlake',
  alertEmail: undefined,
  opsEmail: undefined,
  slackWebhookSecretName: undefined,
  landingExpirationDays: 30,
  athenaResultsExpirationDays: 7,
  accessLogsExpirationDays: 90,
  noncurrentVersionExpirationDays: 30,
  bytesScannedCutoffMb: 1024,
  materializationBytesScannedCutoffMb: 10_240,
  quarantineAlarmThresholdPercent: 5,
  ingestTimeoutSeconds: 900,
  ingestMemoryMb: 1024,
  ingestBatchSize: 5,
  ingestMaxConcurrency: 5,
  maxReceiveCount: 5,
  logRetentionDays: 30,
  destroyOnRemoval: false,
  viewsRevision: 0,
};

/** Every default, `projectionStartDate` computed from `today`. */
export function defaultSettings(today: Date): LedgerlakeSettings {
  return { ...DEFAULT_SETTINGS, projectionStartDate: defaultProjectionStartDate(today) };
}

/** Retention values CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Raised when one or more settings are invalid; lists every problem, one per line. */
export class SettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid ledgerlake settings:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

type SettingKey = keyof LedgerlakeSettings;

/** How one setting is parsed from a context value (a string from `-c`, or JSON from cdk.json). */
interface SettingRule {
  readonly key: SettingKey;
  /** Environment variable read when the context does not give the setting. */
  readonly environmentVariable?: string;
  /** Returns the typed value, or a problem: what was expected and how to fix it. */
  readonly parse: (raw: unknown) => { value: unknown } | { problem: string };
}

function integerRule(key: SettingKey, min: number, max: number, unit: string): SettingRule {
  return {
    key,
    parse: (raw) => {
      const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)
        return { value };
      return { problem: `must be a whole number of ${unit} from ${min} to ${max}` };
    },
  };
}

function numberRule(key: SettingKey, min: number, max: number, unit: string): SettingRule {
  return {
    key,
    parse: (raw) => {
      const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof value === 'number' && Number.isFinite(value) && value > min && value <= max)
        return { value };
      return { problem: `must be a number of ${unit} above ${min} and at most ${max}` };
    },
  };
}

function patternRule(key: SettingKey, pattern: RegExp, expected: string): SettingRule {
  return {
    key,
    parse: (raw) =>
      typeof raw === 'string' && pattern.test(raw) ? { value: raw } : { problem: `must be ${expected}` },
  };
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The rule table: one entry per setting. Optional settings accept undefined (and '' from `-c key=`). */
const RULES: readonly SettingRule[] = [
  patternRule(
    'databaseName',
    /^[a-z][a-z0-9_]{0,254}$/,
    'a Glue database name: lower-case letters, digits and _, starting with a letter',
  ),
  patternRule('alertEmail', EMAIL_PATTERN, 'an email address such as ops@example.com'),
  patternRule('opsEmail', EMAIL_PATTERN, 'an email address such as oncall@example.com'),
  patternRule(
    'slackWebhookSecretName',
    /^[A-Za-z0-9/_+=.@-]{1,512}$/,
    'a Secrets Manager secret name (letters, digits and /_+=.@-), e.g. ledgerlake/slack-webhook',
  ),
  integerRule('landingExpirationDays', 1, 3650, 'days'),
  integerRule('athenaResultsExpirationDays', 1, 3650, 'days'),
  integerRule('accessLogsExpirationDays', 1, 3650, 'days'),
  integerRule('noncurrentVersionExpirationDays', 1, 3650, 'days'),
  // Athena's own minimum for BytesScannedCutoffPerQuery is 10 MB.
  integerRule('bytesScannedCutoffMb', 10, 1_048_576, 'MiB (Athena requires at least 10 MB)'),
  integerRule('materializationBytesScannedCutoffMb', 10, 1_048_576, 'MiB (Athena requires at least 10 MB)'),
  numberRule('quarantineAlarmThresholdPercent', 0, 100, 'percent'),
  integerRule('ingestTimeoutSeconds', 30, 900, 'seconds (Lambda allows at most 900)'),
  integerRule('ingestMemoryMb', 256, 10_240, 'MiB'),
  integerRule('ingestBatchSize', 1, 10, 'messages (SQS batches without a batching window hold at most 10)'),
  integerRule('ingestMaxConcurrency', 2, 1000, 'functions (the SQS event source allows 2 to 1000)'),
  integerRule('maxReceiveCount', 1, 1000, 'receives'),
  integerRule('viewsRevision', 0, 1_000_000, 'revisions'),
  {
    key: 'logRetentionDays',
    parse: (raw) => {
      const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      return typeof value === 'number' && LOG_RETENTION_DAYS.includes(value)
        ? { value }
        : {
            problem: `must be one of the CloudWatch Logs retention values: ${LOG_RETENTION_DAYS.join(', ')}`,
          };
    },
  },
  {
    key: 'destroyOnRemoval',
    parse: (raw) => {
      if (raw === true || raw === 'true') return { value: true };
      if (raw === false || raw === 'false') return { value: false };
      return { problem: 'must be true or false' };
    },
  },
  {
    key: 'projectionStartDate',
    environmentVariable: PROJECTION_START_ENVIRONMENT_VARIABLE,
    parse: (raw) => {
      const problem = lakeDayProblem(raw);
      return problem === undefined ? { value: raw } : { problem };
    },
  },
];

/** Context keys the stack reads: every setting name. */
export const SETTING_KEYS: readonly SettingKey[] = RULES.map((rule) => rule.key);

/** Where settings come from besides the context; both are explicit so that parsing stays pure. */
export interface SettingsSources {
  /**
   * Environment variables, for the settings that read one (`LEDGERLAKE_PROJECTION_START`).
   * @default {} (none; the CDK app passes process.env)
   */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /**
   * The synth date, for defaults computed from it (`projectionStartDate`).
   * @default new Date()
   */
  readonly today?: Date;
}

/**
 * Parses settings from context values (`node.tryGetContext(key)` for each key), then from the
 * environment variable of a setting that has one, applying the defaults for keys that are absent from
 * both. Pure: no CDK import and no process access, so the rules are tested directly.
 *
 * @param context context values by setting name; unknown keys are ignored
 * @throws SettingsError listing every invalid setting with its value and the fix
 */
export function parseSettings(
  context: Readonly<Record<string, unknown>>,
  sources: SettingsSources = {},
): LedgerlakeSettings {
  const problems: string[] = [];
  const settings: Record<string, unknown> = { ...defaultSettings(sources.today ?? new Date()) };
  for (const rule of RULES) {
    const fromContext = context[rule.key];
    const fromEnvironment =
      rule.environmentVariable === undefined ? undefined : sources.environment?.[rule.environmentVariable];
    const inContext = !isUnset(fromContext);
    const raw = inContext ? fromContext : fromEnvironment;
    if (isUnset(raw)) continue;
    const parsed = rule.parse(raw);
    if ('problem' in parsed) {
      problems.push(
        inContext
          ? `${rule.key}=${JSON.stringify(raw)} ${parsed.problem}; set it in cdk.json or with -c ${rule.key}=...`
          : `${rule.environmentVariable}=${JSON.stringify(raw)} (the environment's ${rule.key}) ${parsed.problem}; ` +
              `correct or unset the variable, or set ${rule.key} in cdk.json or with -c ${rule.key}=...`,
      );
    } else {
      settings[rule.key] = parsed.value;
    }
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return settings as unknown as LedgerlakeSettings;
}

/** Absent, null, or empty (`-c key=`): the setting is not given. */
function isUnset(raw: unknown): boolean {
  return raw === undefined || raw === null || raw === '';
}
