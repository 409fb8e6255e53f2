import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { CONTRACT_SCHEMA_FILE } from '../../contract/contract-file';
import { UsageError } from '../program';

/** The starter contract `init` writes: a second payments source, to edit or replace. */
const STARTER_CONTRACT = `# yaml-language-server: $schema=./schema/dataset-contract.schema.json
# A dataset contract: every file dropped under landing/payments/ (or given to
# \`ledgerlake ingest --dataset payments\`) is checked against it. Edit it, or propose one from a sample
# file with \`ledgerlake contract infer FILE --out contracts/NAME.yaml\`. \`ledgerlake datasets\` lists
# what is declared; \`ledgerlake validate FILE\` is a dry run.
name: payments
description: Payments from a second provider, one row per payment.
primaryKey: [ payment_id ]
eventTime: paid_on
columns:
  - name: payment_id
    type: string
    required: true
    description: The provider's id of the payment.
    aliases: [ id, reference ]
  - name: paid_on
    type: date
    required: true
    description: Day the payment was made.
    formats: [ iso, yyyymmdd, dd.mm.yyyy ]
  - name: customer_id
    type: string
    required: true
    description: Customer who paid.
  - name: amount
    type: decimal(18,2)
    required: true
    description: Amount paid, positive.
    range: { min: 0, minExclusive: true }
    round: true
  - name: currency
    type: string
    required: true
    description: ISO 4217 currency code.
    case: upper
    default: USD
    pattern: { regex: "^[A-Z]{3}$", description: an ISO 4217 code such as USD }
`;

const STARTER_README = `# contracts/

One file per dataset (YAML or JSON), checked against \`schema/dataset-contract.schema.json\`
(editors with the YAML language server complete and check them). The ledgerlake CLI reads this folder
when run from the folder above it, or with \`--contracts DIR\`; the CDK stack reads the same files at synth.

1. Declare the dataset: \`ledgerlake contract infer sample.csv --out contracts/NAME.yaml\`, then edit it.
2. Check a file against it: \`ledgerlake validate sample.csv --dataset NAME\`.
3. Ingest: \`ledgerlake ingest sample.csv --dataset NAME\` (or drop files under \`landing/NAME/\`).
`;

/** `ledgerlake init [DIR]`: a starter contracts folder (schema, a starter contract, a README). */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('Write a starter contracts folder: the JSON Schema, a starter contract and a README.')
    .argument('[dir]', 'project folder', '.')
    .option('--force', 'overwrite files that exist', false)
    .option('--json', 'print the files written as JSON', false)
    .action(async (dir: string, options: { force: boolean; json: boolean }) => {
      const contracts = join(resolve(dir), 'contracts');
      const files = [
        { path: join(contracts, 'schema', 'dataset-contract.schema.json'), copyFrom: CONTRACT_SCHEMA_FILE },
        { path: join(contracts, 'payments.yaml'), text: STARTER_CONTRACT },
        { path: join(contracts, 'README.md'), text: STARTER_README },
      ];
      const existing = files.filter((f) => existsSync(f.path));
      if (existing.length > 0 && !options.force)
        throw new UsageError(
          `${relative(process.cwd(), existing[0]!.path)} exists; --force overwrites the starter files`,
        );
      await mkdir(join(contracts, 'schema'), { recursive: true });
      for (const file of files) {
        if ('copyFrom' in file && file.copyFrom) await copyFile(file.copyFrom, file.path);
        else await writeFile(file.path, file.text ?? '');
        if (!options.json) console.log(`wrote ${relative(process.cwd(), file.path) || file.path}`);
      }
      if (options.json)
        process.stdout.write(`${JSON.stringify({ written: files.map((f) => f.path) }, null, 2)}\n`);
    });
}
