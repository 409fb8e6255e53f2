import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createLedgerlakeApp } from '../../lib/ledgerlake-app';

/** The stack synthesized offline with one small model (no bundling, no cdk-nag), for stack tests. */
export function synthSmallStack(): { template: Template; logicalId: (path: string) => string } {
  process.env.CDK_VALIDATION = 'false';
  const { stack } = createLedgerlakeApp({
    nag: false,
    outdir: mkdtempSync(join(tmpdir(), 'ledgerlake-cdk-')),
    context: { 'aws:cdk:bundling-stacks': [] },
    environment: {},
    today: new Date('2026-12-02T13:56:00Z'),
    stackProps: {
      models: [{ name: 'stg_transactions', layer: 'staging', sql: 'select * from transactions' }],
    },
  });
  return {
    template: Template.fromStack(stack),
    /** The CloudFormation logical id of the construct at `Ledgerlake/<path>`. */
    logicalId: (path) => {
      const construct = stack.node.findAll().find((c) => c.node.path === `Ledgerlake/${path}`);
      if (!construct) throw new Error(`no construct at ${path}`);
      return stack.getLogicalId(construct.node.defaultChild as never);
    },
  };
}
