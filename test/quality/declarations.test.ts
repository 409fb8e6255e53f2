import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../datasets/index';
import { compileDataTest } from '../../src/quality/compile';
import {
  DATA_TEST_KINDS,
  type DataTest,
  DataTestDeclarationError,
  loadDataTests,
  parseTestLines,
} from '../../src/quality/declarations';
import { loadModels, type SqlModel } from '../../src/sql/models';
import { checkTrinoGrammar } from '../../src/sql/trino-grammar';

const models = loadModels();
const model: SqlModel = models.find((m) => m.name === 'fact_transactions')!;
const parse = (...lines: string[]): DataTest[] =>
  parseTestLines(
    model,
    `-- fact_transactions: test file\n${lines.map((l) => `-- test: ${l}`).join('\n')}\nselect 1\n`,
    models,
  );

describe('data test declarations in a model header', () => {
  it('reads each kind with its arguments and options', () => {
    const tests = parse(
      'unique(transaction_id, event_date)',
      'not_null(transaction_id, amount)',
      "relationships(city_key, dim_city.city_key) unknown='unknown'",
      "accepted_values(status, 'success', 'it''s failed')",
      'expression_is_true(abs(signed_amount) = amount) severity=warn',
      'recency(event_time, 2 days)',
      'reconciles_with_manifests(transactions)',
    );
    expect(tests.map((t) => t.check)).toEqual([
      { kind: 'unique', columns: ['transaction_id', 'event_date'] },
      { kind: 'not_null', column: 'transaction_id' },
      { kind: 'not_null', column: 'amount' },
      {
        kind: 'relationships',
        column: 'city_key',
        parent: 'dim_city',
        parentColumn: 'city_key',
        unknown: "'unknown'",
      },
      { kind: 'accepted_values', column: 'status', values: ["'success'", "'it''s failed'"] },
      { kind: 'expression_is_true', expression: 'abs(signed_amount) = amount' },
      { kind: 'recency', column: 'event_time', hours: 48 },
      { kind: 'reconciles_with_manifests', dataset: 'transactions' },
    ]);
    expect(tests.map((t) => t.severity)).toEqual([
      'error',
      'error',
      'error',
      'error',
      'error',
      'warn',
      'error',
      'error',
    ]);
    expect(tests.at(-1)!.target).toBe('transactions');
    expect(tests[0]!.location).toBe('sql/marts/fact_transactions.sql:2');
  });

  it('ignores test lines below the header (comments inside the SELECT)', () => {
    const tests = parseTestLines(model, '-- a model\nselect 1\n-- test: unique(x)\n', models);
    expect(tests).toEqual([]);
  });

  it.each([
    ['unique()', /unique needs one or more columns/],
    ['uniq(transaction_id)', /unknown test 'uniq'/],
    ['unique(transaction_id', /unbalanced parentheses/],
    ['relationships(customer_key, dim_missing.customer_key)', /'dim_missing' is not a model/],
    ['relationships(customer_key, dim_customer)', /parent must be <model>.<column>/],
    ['accepted_values(status, success)', /values are quoted strings, got success/],
    ['recency(ingested_at, soon)', /age must be like '36 hours'/],
    ['reconciles_with_manifests(payments)', /'payments' is not a dataset/],
    ['unique(transaction_id) severity=fatal', /severity must be error or warn, got 'fatal'/],
    ['unique(transaction_id) unknown=-1', /unknown option 'unknown'/],
    ['expression_is_true(1 = 1; drop table x)', /may not hold ;/],
  ])('rejects %s, naming the file and line', (line, reason) => {
    const attempt = () => parse(line);
    expect(attempt).toThrow(DataTestDeclarationError);
    expect(attempt).toThrow(reason);
    expect(attempt).toThrow(/^sql\/marts\/fact_transactions\.sql:2: /);
  });
});

describe('the tests declared in sql/', () => {
  const tests = loadDataTests(models);

  it('cover every kind of test', () => {
    expect(new Set(tests.map((t) => t.check.kind))).toEqual(new Set(DATA_TEST_KINDS));
  });

  it('reconcile every dataset with its manifests', () => {
    const reconciled = tests.flatMap((t) =>
      t.check.kind === 'reconciles_with_manifests' ? [t.check.dataset] : [],
    );
    expect(reconciled.sort()).toEqual(DATASETS.map((d) => d.name).sort());
    expect(reconciled.length).toBeGreaterThanOrEqual(5);
  });

  it('compile to Trino SQL, each of them', () => {
    const errors = tests.flatMap((test) =>
      checkTrinoGrammar(test.name, compileDataTest(test, { now: new Date('2024-06-30T12:00:00Z') })),
    );
    expect(tests.length).toBeGreaterThan(40);
    expect(errors).toEqual([]);
  });

  it('fail the grammar check when an expression is DuckDB-only (the check can fail)', () => {
    const [test] = parse('expression_is_true(amount::int > 0)');
    expect(checkTrinoGrammar(test!.name, compileDataTest(test!)).length).toBeGreaterThan(0);
  });

  it('compile recency against a fixed "now", as a timestamp literal', () => {
    const [test] = parse('recency(ingested_at, 36 hours)');
    const sql = compileDataTest(test!, { now: new Date('2024-06-30T12:00:00Z') });
    expect(sql).toContain("where latest is null or latest < timestamp '2024-06-29 00:00:00.000'");
  });
});
