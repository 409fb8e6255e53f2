import { describe, expect, it } from 'vitest';
import { dataTestNotification } from '../../src/quality/notification';
import type { DataTestResult } from '../../src/quality/run';

const result = (overrides: Partial<DataTestResult>): DataTestResult => ({
  name: 'fact_transactions: unique(transaction_id, event_date)',
  model: 'fact_transactions',
  target: 'fact_transactions',
  severity: 'error',
  status: 'fail',
  failingCount: 7,
  failingRows: [{ transaction_id: 'T1', event_date: '2024-06-01', row_count: 2 }],
  sql: 'select 1',
  ms: 1,
  ...overrides,
});

describe('the operations message of a data test', () => {
  it('is none for a test that passed', () => {
    expect(
      dataTestNotification(result({ status: 'pass', failingCount: 0, failingRows: [] }), 'x'),
    ).toBeUndefined();
  });

  it('keeps the subject within SNS email limits: printable ASCII, 100 characters', () => {
    const long = result({
      name: `fact_transactions: expression_is_true(${'amount > 0 and '.repeat(10)}true) — ü`,
    });
    const { subject } = dataTestNotification(long, 'athena')!;
    expect(subject).toHaveLength(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.endsWith('...')).toBe(true);
  });

  it.each([
    ['warn', 'warned'],
    ['error', 'could not run'],
  ] as const)('says a %s result %s, with its reason when the query failed', (status, verb) => {
    const message = dataTestNotification(
      result({ status, message: status === 'error' ? 'table not found' : undefined }),
      'athena',
    )!;
    expect(message.subject).toBe(
      `ledgerlake data test ${verb}: fact_transactions: unique(transaction_id, event_date)`,
    );
    expect(message.attributes.status).toBe(status);
    if (status === 'error') expect(message.text).toContain('error: table not found');
  });
});
