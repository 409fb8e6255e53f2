import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATA_TEST_METRICS, runDataTestsAndNotify } from '../../lambdas/data-tests/data-tests-handler';
import { AthenaQueryEngine, type AthenaSend } from '../../src/engine/athena';
import { buildCatalog } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import type { SqlValue } from '../../src/engine/query-engine';
import { compileDataTest } from '../../src/quality/compile';
import { loadDataTests } from '../../src/quality/declarations';
import { loadModels } from '../../src/sql/models';
import { LakeFixture, transaction } from '../sql/lake-fixture';

const WORKGROUP = 'ledgerlake';
const DATABASE = 'ledgerlake';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ledgerlake-operations';
const NOW = new Date('2024-03-02T12:00:00Z');
const tests = loadDataTests(loadModels());

/** Athena's type name for a DuckDB column type, as GetQueryResults reports it. */
function athenaType(duckdb: string): string {
  const type = duckdb.toUpperCase();
  if (type.startsWith('DECIMAL')) return 'decimal';
  if (['BIGINT', 'HUGEINT', 'UBIGINT'].includes(type)) return 'bigint';
  if (['INTEGER', 'SMALLINT', 'TINYINT'].includes(type)) return 'integer';
  if (type === 'DOUBLE' || type === 'FLOAT') return 'double';
  if (type === 'BOOLEAN') return 'boolean';
  if (type === 'DATE') return 'date';
  if (type.startsWith('TIMESTAMP')) return 'timestamp';
  return 'varchar';
}

/** A value as Athena prints it: timestamps as `2024-03-01 10:00:00.000`, NULL as no value. */
function athenaText(value: SqlValue): string | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(value))
    return value.replace('T', ' ').replace('Z', '');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Athena's API has no local stand-in: this one records every request and answers each query by
 * running its text on DuckDB over the same lake, in the shape GetQueryResults returns (a header row,
 * then text values).
 */
function athenaOverDuckDb(duckdb: DuckDbEngine) {
  const requests: { command: string; input: Record<string, unknown> }[] = [];
  const results: Awaited<ReturnType<DuckDbEngine['query']>>[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      requests.push({ command: command.constructor.name, input: command.input });
      const index = Number(String(command.input.QueryExecutionId ?? '').slice(1)) - 1;
      switch (command.constructor.name) {
        case 'StartQueryExecutionCommand':
          results.push(await duckdb.query(command.input.QueryString as string));
          return { QueryExecutionId: `q${results.length}` };
        case 'GetQueryExecutionCommand':
          return {
            QueryExecution: {
              Status: { State: 'SUCCEEDED' },
              StatementType: 'DML',
              Statistics: { DataScannedInBytes: 1, EngineExecutionTimeInMillis: 1 },
            },
          };
        case 'GetQueryResultsCommand': {
          const result = results[index]!;
          return {
            ResultSet: {
              ResultSetMetadata: {
                ColumnInfo: result.columns.map((c) => ({
                  Name: c.name,
                  Label: c.name,
                  Type: athenaType(c.type),
                })),
              },
              Rows: [
                { Data: result.columns.map((c) => ({ VarCharValue: c.name })) },
                ...result.rows.map((row) => ({
                  Data: result.columns.map((c) => {
                    const text = athenaText(row[c.name] ?? null);
                    return text === undefined ? {} : { VarCharValue: text };
                  }),
                })),
              ],
            },
          };
        }
        default:
          throw new Error(`unexpected command ${command.constructor.name}`);
      }
    },
  } as unknown as AthenaSend;
  const engine = new AthenaQueryEngine({
    client,
    workgroup: WORKGROUP,
    database: DATABASE,
    sleep: async () => undefined,
  });
  return { engine, requests };
}

function recordingSns() {
  const published: Record<string, unknown>[] = [];
  return {
    published,
    sns: {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        if (command.constructor.name !== 'PublishCommand')
          throw new Error(`unexpected ${command.constructor.name}`);
        published.push(command.input);
        return { MessageId: `m${published.length}` };
      },
    },
  };
}

const ledger = [
  transaction({ transaction_id: 'T1', event_time: '2024-03-01T10:00:00Z' }),
  transaction({ transaction_id: 'T2', event_time: '2024-03-01T11:00:00Z' }),
];
const manifest = (rowsValid: number) => ({
  manifest_version: 1,
  dataset: 'transactions',
  source_key: 'landing/transactions/ledger.csv',
  status: 'ok',
  rows_read: rowsValid,
  rows_valid: rowsValid,
  rows_quarantined: 0,
  duplicates_dropped: 0,
  partitions: ['2024-03-01'],
  ingested_at: '2024-03-02T06:00:00.000Z',
});

describe('the data-tests function, through the Athena and SNS APIs', () => {
  let fixture: LakeFixture;
  let duckdb: DuckDbEngine;

  beforeEach(async () => {
    fixture = await LakeFixture.create();
    await fixture.writeCurated('transactions', 'ledger', ledger, '2024-03-02T06:00:00Z');
  });

  afterEach(async () => {
    await duckdb?.close();
    await fixture.close();
  });

  async function runOn(rowsValid: number) {
    fixture.writeManifest('transactions', 'ledger', manifest(rowsValid));
    duckdb = await openDuckDb({ source: fixture.dir });
    await buildCatalog(duckdb, { lakeDir: fixture.dir });
    const athena = athenaOverDuckDb(duckdb);
    const { sns, published } = recordingSns();
    const metrics: [string, number][] = [];
    const result = await runDataTestsAndNotify({
      engine: athena.engine,
      sns,
      topicArn: TOPIC,
      tests,
      logger: { info: () => {} },
      metrics: {
        addMetric: (name: string, _unit: unknown, value: number) => metrics.push([name, value]),
      } as never,
      now: () => NOW,
    });
    return { result, published, requests: athena.requests, metrics };
  }

  it('runs every test as one Athena query in the workgroup and database, and publishes nothing when all pass', async () => {
    const { result, published, requests, metrics } = await runOn(2);
    const starts = requests.filter((r) => r.command === 'StartQueryExecutionCommand').map((r) => r.input);
    expect(starts).toEqual(
      tests.map((test) => ({
        QueryString: `select *\nfrom (\n${compileDataTest(test, { now: NOW })}\n) as failing\nlimit 6`,
        WorkGroup: WORKGROUP,
        QueryExecutionContext: { Database: DATABASE, Catalog: 'AwsDataCatalog' },
      })),
    );
    expect(result.summary).toEqual({ pass: tests.length, fail: 0, warn: 0, error: 0 });
    expect(published).toEqual([]);
    expect(metrics).toContainEqual([DATA_TEST_METRICS.failed, 0]);
  });

  it('publishes a failing test to the operations topic with its name, model and failing count', async () => {
    const { result, published, metrics } = await runOn(3); // the manifest claims a row the lake lacks
    expect(result.published).toEqual(['stg_transactions: reconciles_with_manifests(transactions)']);
    expect(published).toEqual([
      {
        TopicArn: TOPIC,
        Subject: 'ledgerlake data test failed: stg_transactions: reconciles_with_manifests(transactions)',
        Message: [
          `Data test failed on athena athena://${WORKGROUP}/${DATABASE}.`,
          '',
          'test: stg_transactions: reconciles_with_manifests(transactions)',
          'model: stg_transactions',
          'severity: error',
          'failing rows: 1',
          '',
          'first 1 failing rows:',
          '  dataset=transactions, source_key=landing/transactions/ledger.csv, dt=null, manifest_rows=3, curated_rows=2, problem=valid rows differ from curated rows',
          '',
          'SQL (returns every failing row):',
          compileDataTest(
            tests.find((t) => t.name === 'stg_transactions: reconciles_with_manifests(transactions)')!,
          ),
          '',
        ].join('\n'),
        MessageAttributes: {
          test: {
            DataType: 'String',
            StringValue: 'stg_transactions: reconciles_with_manifests(transactions)',
          },
          model: { DataType: 'String', StringValue: 'stg_transactions' },
          severity: { DataType: 'String', StringValue: 'error' },
          status: { DataType: 'String', StringValue: 'fail' },
          failing_count: { DataType: 'String', StringValue: '1' },
        },
      },
    ]);
    expect(metrics).toContainEqual([DATA_TEST_METRICS.failed, 1]);
  });
});
