import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LedgerlakeStack, type LedgerlakeStackProps } from './ledgerlake-stack';
import { PROJECTION_START_ENVIRONMENT_VARIABLE, parseSettings, SETTING_KEYS } from './settings';

/**
 * Feature flags the stack relies on, set here rather than only in cdk.json so that tests, which build
 * the app without the CLI, synthesize the same template as `cdk synth`.
 */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = {
  // Access logs delivered through a bucket policy (ACLs are disabled on every bucket).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/core:target-partitions': ['aws', 'aws-cn'],
  '@aws-cdk/aws-lambda-nodejs:sdkV3ExcludeSmithyPackages': true,
};

export interface LedgerlakeAppOptions {
  /** Context values (settings, flags); the CLI's `-c` values and cdk.json arrive through the environment. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** @default - a temporary folder (tests) or cdk.out (CLI) */
  readonly outdir?: string;
  /**
   * Run the cdk-nag AwsSolutions checks during synthesis.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Environment variables some settings fall back to (`LEDGERLAKE_PROJECTION_START`).
   * @default process.env
   */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /**
   * The synth date, for the default `projectionStartDate`.
   * @default new Date()
   */
  readonly today?: Date;
  /** Overrides of stack props, e.g. `models` in tests. */
  readonly stackProps?: Partial<Omit<LedgerlakeStackProps, 'settings'>>;
}

/**
 * Builds the CDK app with the ledgerlake stack: settings read from context and validated, feature
 * flags applied, cdk-nag attached. bin/app.ts and the tests both start here.
 *
 * @throws SettingsError naming every bad setting, its value and the fix
 */
export function createLedgerlakeApp(options: LedgerlakeAppOptions = {}): {
  app: App;
  stack: LedgerlakeStack;
} {
  const app = new App({ context: { ...FEATURE_FLAGS, ...options.context }, outdir: options.outdir });
  const environment = options.environment ?? process.env;
  const context = Object.fromEntries(SETTING_KEYS.map((key) => [key, app.node.tryGetContext(key)]));
  const settings = parseSettings(context, { environment, today: options.today ?? new Date() });
  const stackName = String(app.node.tryGetContext('stackName') ?? 'Ledgerlake');
  const stack = new LedgerlakeStack(app, stackName, {
    description: 'ledgerlake: landing zone, ingest, Glue/Athena lake, balance alerts',
    ...options.stackProps,
    settings,
  });
  if (isUnset(context.projectionStartDate) && isUnset(environment[PROJECTION_START_ENVIRONMENT_VARIABLE]))
    Annotations.of(stack).addWarningV2(
      'ledgerlake:projectionStartDateDefault',
      `projectionStartDate is not set, so Athena sees the days from ${settings.projectionStartDate} ` +
        '(1 January of last year; the default moves forward each January). Files of earlier days stay ' +
        'in the lake but are invisible to Athena. Set -c projectionStartDate=YYYY-MM-DD (or in cdk.json) ' +
        'to the first day that holds data.',
    );
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

function isUnset(raw: unknown): boolean {
  return raw === undefined || raw === null || raw === '';
}
