import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { bundledContractsDefine } from '../../lib/constructs/ledgerlake-function';
import { createLedgerlakeApp } from '../../lib/ledgerlake-app';
import { COLUMN_TYPES, type ColumnType, LINEAGE_COLUMNS } from '../../src/contract/types';

/**
 * The stack reads the same contract files as the CLI: a project's contracts folder (here the example's,
 * named as `--contracts` names it) gives Glue tables, views and the functions' bundled contracts.
 */
const CONTRACTS = vi.hoisted(() => {
  const dir = `${process.cwd()}/examples/batch-pipeline/contracts`;
  process.env.LEDGERLAKE_CONTRACTS = dir;
  return dir;
});

process.env.CDK_VALIDATION = 'false';

/** The example's contract file read independently of the loader: what the Glue table must say. */
const file = parse(readFileSync(join(CONTRACTS, 'batch_transactions.yaml'), 'utf8')) as {
  name: string;
  description: string;
  columns: { name: string; type: ColumnType; description: string }[];
};

let template: Template;
const table = (name: string) =>
  Object.values(template.findResources('AWS::Glue::Table')).find(
    (resource) => resource.Properties.TableInput.Name === name,
  )?.Properties.TableInput;

beforeAll(() => {
  const { stack } = createLedgerlakeApp({
    nag: false,
    outdir: mkdtempSync(join(tmpdir(), 'ledgerlake-cdk-')),
    context: { 'aws:cdk:bundling-stacks': [] },
    environment: {},
    today: new Date('2026-12-02T13:56:00Z'),
  });
  template = Template.fromStack(stack);
});

describe('a stack synthesized with a contracts folder', () => {
  it("declares a Glue table with the contract file's columns, types and descriptions", () => {
    // Stored as every attempt's parts; readers read the committed view named after the dataset.
    const input = table(`${file.name}_parts`);
    expect(input?.Description).toContain(file.description);
    expect(input?.StorageDescriptor.Columns).toEqual(
      [...file.columns, ...LINEAGE_COLUMNS].map((column) => ({
        Name: column.name,
        Type: COLUMN_TYPES[column.type].glue,
        Comment: column.description,
      })),
    );
    expect(input?.StorageDescriptor.Location).toEqual({
      'Fn::Join': ['', ['s3://', expect.anything(), `/curated/${file.name}/`]],
    });
  });

  it('still declares the built-in tables (negative control: a name no file declares has none)', () => {
    expect(table('transactions_parts')).toBeDefined();
    expect(table('wires_parts')).toBeUndefined();
  });

  it('lists the dataset among the quarantine partitions', () => {
    expect(table('quarantine_parts')?.Parameters['projection.dataset.values'].split(',')).toContain(
      file.name,
    );
  });

  it('deploys the generated union view that takes its rows into the ledger models', () => {
    const text = JSON.stringify(template.toJSON());
    expect(text).toContain('int_transactions_unioned');
    expect(text).toContain('from batch_transactions');
  });
});

describe('the contracts bundled into the functions', () => {
  it("are the synth's contracts with their lookups, readable by a bundle far from any contract file", async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ledgerlake-bundle-'));
    const entry = join(outdir, 'entry.ts');
    writeFileSync(entry, `export { DATASETS } from ${JSON.stringify(resolve('datasets/index.ts'))};\n`);
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: join(outdir, 'bundle.mjs'),
      define: bundledContractsDefine(),
      banner: {
        js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    const { DATASETS } = await import(pathToFileURL(join(outdir, 'bundle.mjs')).href);
    const bundled = DATASETS.find((d: { name: string }) => d.name === file.name);
    expect(bundled.columns.map((c: { name: string }) => c.name)).toEqual(file.columns.map((c) => c.name));
    expect(bundled.columns.find((c: { name: string }) => c.name === 'channel').lookup.entries).toEqual({
      '1': 'credit_card',
      '2': 'debit_card',
      '3': 'upi',
      '4': 'net_banking',
    });
    const customers = DATASETS.find((d: { name: string }) => d.name === 'customers');
    expect(customers.columns.find((c: { name: string }) => c.name === 'email').pattern.regex).toBeInstanceOf(
      RegExp,
    );
  });
});
