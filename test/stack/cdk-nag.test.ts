import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { createLedgerlakeApp } from '../../lib/ledgerlake-app';

interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: readonly { ruleName: string }[];
  }[];
}

/** A fixed model list: nag findings do not depend on the SQL, and sql/ is the SQL tests' concern. */
const stackProps = {
  models: [{ name: 'stg_transactions', layer: 'staging', sql: 'select * from transactions' }],
};

function readReport(outdir: string): ValidationReport {
  return JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
}

/**
 * The whole app synthesized as `cdk synth` does it: real esbuild bundling, CloudFormation schema
 * validation and the cdk-nag AwsSolutions pack. A finding without an acknowledgement fails the synth.
 */
describe('cdk-nag AwsSolutions checks', () => {
  // Bundling does not change what nag sees, so only the case with every optional part bundles for real.
  it.each([
    ['the default settings', { 'aws:cdk:bundling-stacks': [] }, 0],
    [
      'emails, Slack and destroyOnRemoval',
      {
        alertEmail: 'ops@example.com',
        opsEmail: 'oncall@example.com',
        slackWebhookSecretName: 'ledgerlake/slack-webhook',
        destroyOnRemoval: 'true',
      },
      5,
    ],
  ])('finds nothing unacknowledged with %s', (_case, context, bundled) => {
    const outdir = mkdtempSync(join(tmpdir(), 'ledgerlake-nag-'));
    const { app } = createLedgerlakeApp({ outdir, context, stackProps });

    app.synth();

    const report = readReport(outdir);
    expect(report.pluginReports.filter((plugin) => plugin.conclusion !== 'success')).toEqual([]);
    // An .mjs handler per bundled NodejsFunction asset (ingest, views, balance alerts, data tests, Slack notifier).
    const bundles = readdirSync(outdir).filter((entry) => existsSync(join(outdir, entry, 'index.mjs')));
    expect(bundles).toHaveLength(bundled);
  });

  it('fails the synth and names the rule when a resource breaks one', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ledgerlake-nag-'));
    const { app, stack } = createLedgerlakeApp({
      outdir,
      context: { 'aws:cdk:bundling-stacks': [] },
      stackProps,
    });
    new Queue(stack, 'QueueWithoutTls');

    expect(() => app.synth()).toThrow('AwsSolutions-SQS4');
    const failing = readReport(outdir).pluginReports.find((plugin) => plugin.pluginName === 'AwsSolutions');
    expect(failing?.conclusion).toBe('failure');
    expect(failing?.violations.map((violation) => violation.ruleName)).toContain('AwsSolutions-SQS4');
  });
});
