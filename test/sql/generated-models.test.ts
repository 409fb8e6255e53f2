import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DATASETS } from '../../datasets';
import { loadContractFile } from '../../src/contract/contract-file';
import type { DatasetContract } from '../../src/contract/types';
import { definitionHash } from '../../src/materialize/plan';
import { FeedError, generatedModelTexts } from '../../src/sql/generated-models';
import { DEFAULT_SQL_DIR, loadModels, REPO_ROOT } from '../../src/sql/models';
import { checkTrinoGrammar, formatGrammarError } from '../../src/sql/trino-grammar';

const example = loadContractFile(
  join(REPO_ROOT, 'examples', 'batch-pipeline', 'contracts', 'batch_transactions.yaml'),
);
const withExample = [...DATASETS, example];

const modelOf = (datasets: readonly DatasetContract[], name: string) => {
  const model = loadModels(DEFAULT_SQL_DIR, datasets).find((m) => m.name === name);
  if (!model) throw new Error(`no model ${name}`);
  return model;
};

describe('models generated from the dataset contracts', () => {
  it('union a feeding dataset with the ledger, mapped onto the ledger columns', () => {
    const union = modelOf(withExample, 'int_transactions_unioned');
    const [, feeder] = union.sql.split('\nunion all\n');

    expect(feeder).toBe(
      [
        'select',
        '    "transaction_id" as "transaction_id",',
        '    cast("date_key" as timestamp) as "event_time",',
        '    cast("customer_key" as varchar) as "customer_id",',
        '    cast("customer_key" as varchar) as "account_id",',
        '    "channel" as "channel",',
        '    "city" as "city",',
        `    cast('payment' as varchar) as "type",`,
        '    "amount" as "amount",',
        '    "currency" as "currency",',
        '    "status" as "status",',
        '    "processing_time" as "processing_time_s",',
        '    "fee_percent" as "fee_percent",',
        `    cast('batch_transactions' as varchar) as "source_dataset",`,
        '    "source_key",',
        '    "source_line",',
        '    "ingested_at",',
        '    "dt"',
        'from batch_transactions',
      ].join('\n'),
    );
    expect(union.dependsOn).toEqual([]);
  });

  it('hold only the ledger when no contract feeds it', () => {
    const union = modelOf(DATASETS, 'int_transactions_unioned');
    expect(union.sql).not.toContain('union all');
    expect(union.sql).toMatch(
      /cast\(null as decimal\(18,2\)\) as "fee_percent",\n {4}cast\('transactions' as varchar\) as "source_dataset",[\s\S]*from transactions$/,
    );
  });

  it('parse as Trino SQL (Athena engine v3)', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const { name, text } of generatedModelTexts(withExample)) {
      expect(checkTrinoGrammar(`${name}.sql`, text).map(formatGrammarError), name).toEqual([]);
    }
  });

  it('count the rows of every dataset, a new one included', () => {
    const counts = modelOf(withExample, 'int_curated_rows_per_day');
    const listed = [...counts.sql.matchAll(/select '([a-z_]+)' as dataset/g)].map((m) => m[1]);
    expect(listed).toEqual(withExample.map((d) => d.name).sort());
  });

  it('extend an input on the ledger to every dataset feeding it, with the same options', () => {
    const fact = modelOf(withExample, 'fact_transactions');
    expect(fact.incremental?.inputs.map((i) => [i.relation, i.column, i.read, i.refresh.kind])).toEqual([
      ['transactions', 'dt', 'window', 'same'],
      ['batch_transactions', 'dt', 'window', 'same'],
      ['customers', 'dt', 'all', 'through_latest'],
    ]);
    expect(modelOf(DATASETS, 'fact_transactions').incremental?.inputs.map((i) => i.relation)).toEqual([
      'transactions',
      'customers',
    ]);
  });

  it('change the definition of the facts and KPIs downstream when a source starts feeding the ledger', () => {
    for (const name of ['fact_transactions', 'kpi_daily']) {
      const before = loadModels(DEFAULT_SQL_DIR, DATASETS);
      const after = loadModels(DEFAULT_SQL_DIR, withExample);
      expect(definitionHash(after.find((m) => m.name === name)!, after)).not.toBe(
        definitionHash(before.find((m) => m.name === name)!, before),
      );
    }
  });

  it.each([
    [
      'a target column the ledger lacks',
      { event_time: 'date_key', customer_id: 'customer_key', type: { value: 'payment' }, colour: 'status' },
      "dataset contract 'batch_transactions': feeds: 'colour' is not a column of transactions (its columns: transaction_id, event_time, customer_id, account_id, channel, city, type, amount, currency, status, processing_time_s, fee_percent)",
    ],
    [
      'a required ledger column nobody gives',
      { event_time: 'date_key', customer_id: 'customer_key' },
      "dataset contract 'batch_transactions': feeds: gives no value for transactions.type, which is required; map one of its columns onto it in feeds.columns",
    ],
  ])('refuse a feed with %s, naming the contract and the column', (_, columns, message) => {
    const broken: DatasetContract = { ...example, feeds: { dataset: 'transactions', columns } };
    expect(() => generatedModelTexts([...DATASETS, broken])).toThrow(FeedError);
    expect(() => generatedModelTexts([...DATASETS, broken])).toThrow(message);
  });
});
