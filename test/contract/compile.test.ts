import { describe, expect, it } from 'vitest';
import { customers, organizations, sales, transactions } from '../../datasets';
import { ContractError, compileContract, snapshotDateOf } from '../../src/contract/compile';
import type { DatasetContract, Violation } from '../../src/contract/types';

const HEADER = [
  'transaction_id',
  'event_time',
  'customer_id',
  'account_id',
  'channel',
  'city',
  'type',
  'amount',
  'currency',
  'status',
  'processing_time_s',
];
const GOOD = [
  'T1',
  '2024-06-01T10:00:00Z',
  'C1',
  '',
  'upi',
  'Austin',
  'deposit',
  '12.50',
  '',
  'success',
  '0.8',
];

/** Validates one CSV row of the transactions contract; returns typed values by name and violations. */
function validateTransaction(overrides: Record<string, string>, header = HEADER) {
  const compiled = compileContract(transactions);
  const binding = compiled.bindHeader(header);
  const fields = header.map((name) => overrides[name] ?? GOOD[HEADER.indexOf(name)] ?? '');
  const raw: unknown[] = [];
  const out: unknown[] = [];
  const shape = binding.extract(fields, raw);
  const violations: Violation[] = shape ? [shape] : compiled.validate(raw, out);
  const values = Object.fromEntries(transactions.columns.map((c, i) => [c.name, out[i]]));
  return { values, violations };
}

describe('transactions contract', () => {
  it('types a valid row and applies defaults (account from customer, USD)', () => {
    const { values, violations } = validateTransaction({});
    expect(violations).toEqual([]);
    expect(values).toEqual({
      transaction_id: 'T1',
      event_time: Date.UTC(2024, 5, 1, 10),
      customer_id: 'C1',
      account_id: 'C1',
      channel: 'upi',
      city: 'Austin',
      type: 'deposit',
      amount: 1250,
      currency: 'USD',
      status: 'success',
      processing_time_s: 0.8,
    });
  });

  it('maps value aliases and case: "Credit Card" becomes credit_card, "SUCCESS" success', () => {
    const { values, violations } = validateTransaction({
      channel: ' Credit Card ',
      status: 'SUCCESS',
      currency: 'eur',
    });
    expect(violations).toEqual([]);
    expect(values).toMatchObject({ channel: 'credit_card', status: 'success', currency: 'EUR' });
  });

  it('quarantines rows whose amount is not positive', () => {
    const { violations } = validateTransaction({ amount: '-12.50' });
    expect(violations).toEqual([
      { field: 'amount', rule: 'range', message: 'amount must be > 0, got -12.5' },
    ]);
  });

  it('reports every rule a row breaks, each as a readable sentence', () => {
    const { violations } = validateTransaction({
      transaction_id: '',
      channel: 'bitcoin',
      amount: 'ten',
      event_time: 'yesterday',
    });
    expect(violations).toEqual([
      { field: 'transaction_id', rule: 'required', message: 'transaction_id is required but empty' },
      {
        field: 'event_time',
        rule: 'format',
        message: "event_time 'yesterday' is not a valid timestamp in any accepted format (iso, epoch_millis)",
      },
      {
        field: 'channel',
        rule: 'allowed_values',
        message: "channel 'bitcoin' is not one of credit_card, debit_card, upi, net_banking",
      },
      { field: 'amount', rule: 'type', message: "amount 'ten' is not a decimal number" },
    ]);
  });

  it('checks the currency pattern and the processing time range', () => {
    const { violations } = validateTransaction({ currency: 'dollars', processing_time_s: '-1' });
    expect(violations.map((v) => `${v.field}.${v.rule}`)).toEqual([
      'currency.pattern',
      'processing_time_s.range',
    ]);
  });

  it('binds aliased headers such as "Transaction ID" and txn_type, and lists unknown columns', () => {
    const header = HEADER.map((h) =>
      h === 'transaction_id' ? 'Transaction ID' : h === 'type' ? 'txn_type' : h,
    );
    const binding = compileContract(transactions).bindHeader([...header, 'notes']);
    expect(binding.missingRequired).toEqual([]);
    expect(binding.ignoredColumns).toEqual(['notes']);
    const { values } = validateTransaction({ 'Transaction ID': 'T9', txn_type: 'fee' }, header);
    expect(values).toMatchObject({ transaction_id: 'T9', type: 'fee' });
  });

  it('names the required columns a header lacks, but not columns with defaults', () => {
    const binding = compileContract(transactions).bindHeader([
      'transaction_id',
      'customer_id',
      'currency_code',
    ]);
    expect(binding.missingRequired).toEqual(['event_time', 'channel', 'type', 'amount', 'status']);
  });

  it('quarantines a row with the wrong number of fields, but tolerates a trailing delimiter', () => {
    const binding = compileContract(transactions).bindHeader(HEADER);
    const raw: unknown[] = [];
    expect(binding.extract(GOOD.slice(0, 5), raw)).toEqual({
      field: '_row',
      rule: 'shape',
      message: 'row has 5 fields but the header has 11',
    });
    expect(binding.extract([...GOOD, ''], raw)).toBeUndefined();
  });

  it('keeps the original values by source header for the quarantine', () => {
    const binding = compileContract(transactions).bindHeader(['txn_id', 'amount']);
    expect(binding.original(['T1', '-3', 'extra'])).toEqual({
      txn_id: 'T1',
      amount: '-3',
      _extra_fields: ['extra'],
    });
  });
});

describe('sales contract (JSON)', () => {
  const compiled = compileContract(sales);
  const binding = compiled.bindJson();
  const order = {
    transaction_id: 'S1',
    customer_id: 'C1',
    product: { product_id: 'P1', name: 'Desk', category: 'Furniture', price: 199.99 },
    quantity: 2,
    region: 'North',
    order_date: '05/03/2024',
    loyalty_points: 20,
  };

  function validateOrder(record: unknown) {
    const raw: unknown[] = [];
    const out: unknown[] = [];
    const shape = binding.extract(record, raw);
    const violations = shape ? [shape] : compiled.validate(raw, out);
    return { values: Object.fromEntries(sales.columns.map((c, i) => [c.name, out[i]])), violations };
  }

  it('reads nested product fields by path and defaults a missing discount to 0', () => {
    const { values, violations } = validateOrder(order);
    expect(violations).toEqual([]);
    expect(values).toEqual({
      transaction_id: 'S1',
      customer_id: 'C1',
      product_id: 'P1',
      product_name: 'Desk',
      category: 'furniture',
      category_display: 'Furniture',
      price: 19999,
      quantity: 2,
      discount: 0,
      region: 'north',
      region_display: 'North',
      order_date: Date.UTC(2024, 2, 5) / 86_400_000,
      order_time: Date.UTC(2024, 2, 5), // epoch millis, midnight: the source gives only the day
      loyalty_points: 20,
    });
  });

  it.each([
    [{ discount: '15%' }, 0.15],
    [{ discount: 0.1 }, 0.1],
    [{ Discount: '5 %' }, 0.05],
  ])('reads discount %j as %d', (extra, expected) => {
    const { values, violations } = validateOrder({ ...order, ...extra });
    expect(violations).toEqual([]);
    expect(values.discount).toBe(expected);
  });

  it('quarantines bad discounts, non-positive quantities and unreadable dates', () => {
    const { violations } = validateOrder({
      ...order,
      discount: '150%',
      quantity: 0,
      order_date: '31/31/2024',
    });
    expect(violations.map((v) => v.message)).toEqual([
      'quantity must be > 0, got 0',
      'discount must be <= 1, got 1.5',
      "order_date '31/31/2024' is not a valid date in any accepted format (iso, dd/mm/yyyy, mm-dd-yyyy, yyyy/mm/dd, epoch_millis)",
      // order_time reads the same field, so an unreadable date is named twice.
      "order_time '31/31/2024' is not a valid timestamp in any accepted format (iso, dd/mm/yyyy, mm-dd-yyyy, yyyy/mm/dd, epoch_millis)",
    ]);
  });

  it('quarantines a record that is not an object', () => {
    expect(validateOrder([1, 2]).violations).toEqual([
      { field: '_row', rule: 'shape', message: 'record is an array, not a JSON object' },
    ]);
  });
});

describe('customers contract', () => {
  it('lower-cases emails and rejects malformed ones', () => {
    const compiled = compileContract(customers);
    const binding = compiled.bindHeader(['customer_id', 'name', 'email', 'segment', 'city', 'updated_at']);
    const raw: unknown[] = [];
    const out: unknown[] = [];
    binding.extract(['C1', 'Ann', 'Ann.Lee@Example.COM', 'Premium', 'Austin', '2024-06-01'], raw);
    expect(compiled.validate(raw, out)).toEqual([]);
    expect(out[2]).toBe('ann.lee@example.com');
    binding.extract(['C1', 'Ann', 'not-an-email', 'premium', 'Austin', '2024-06-01'], raw);
    expect(compiled.validate(raw, out).map((v) => v.rule)).toEqual(['pattern']);
  });

  it('gives a pattern with the g or y flag the same verdict for a value wherever it comes', () => {
    for (const flags of ['g', 'y', '']) {
      const email = customers.columns.find((c) => c.name === 'email')!;
      const regex = new RegExp(email.pattern!.regex.source, flags);
      const contract = {
        ...customers,
        columns: customers.columns.map((c) =>
          c === email ? { ...c, pattern: { ...c.pattern!, regex } } : c,
        ),
      };
      const compiled = compileContract(contract);
      const binding = compiled.bindHeader(['customer_id', 'name', 'email', 'segment', 'city', 'updated_at']);
      const raw: unknown[] = [];
      const out: unknown[] = [];
      const verdicts = ['ann@example.com', 'ann@example.com', 'bo@example.com', 'ann@example.com'].map(
        (mail) => {
          binding.extract(['C1', 'Ann', mail, 'premium', 'Austin', '2024-06-01'], raw);
          return compiled.validate(raw, out).length;
        },
      );
      expect([flags, verdicts]).toEqual([flags, [0, 0, 0, 0]]);
      // A regex left mid-way by an earlier match elsewhere does not change the next verdict.
      regex.lastIndex = 5;
      binding.extract(['C1', 'Ann', 'cy@example.com', 'premium', 'Austin', '2024-06-01'], raw);
      expect(compiled.validate(raw, out)).toEqual([]);
    }
  });

  it('builds composite keys from typed values, so equal instants in other spellings match', () => {
    const compiled = compileContract(customers);
    const binding = compiled.bindHeader(['customer_id', 'updated_at']);
    const raw: unknown[] = [];
    binding.extract(['C1', '2024-06-01T00:00:00Z'], raw);
    const a = compiled.keyOf(raw);
    binding.extract([' C1 ', '2024-06-01'], raw);
    expect(compiled.keyOf(raw)).toBe(a);
    binding.extract(['', '2024-06-01'], raw);
    expect(compiled.keyOf(raw)).toBeUndefined();
  });
});

describe('compileContract', () => {
  it('refuses a contract whose event time is not a date or timestamp', () => {
    const broken: DatasetContract = { ...transactions, eventTime: 'amount' };
    expect(() => compileContract(broken)).toThrow(
      new ContractError('transactions', 'eventTime amount must be a date or timestamp'),
    );
  });
});

describe('snapshot deliveries', () => {
  const landedAt = new Date('2024-06-09T07:30:00Z');
  const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

  /** The snapshot_date an organizations row gets, given the row value and the file it came in. */
  function snapshotDay(rowValue: string, key: string): unknown {
    const compiled = compileContract(organizations, { key, landedAt });
    const binding = compiled.bindHeader(['organization_id', 'snapshot_date']);
    const raw: unknown[] = [];
    const out: unknown[] = [];
    binding.extract(['O1', rowValue], raw);
    expect(compiled.validate(raw, out)).toEqual([]);
    return out[compiled.eventTimeIndex];
  }

  it.each([
    ['2024-06-01', 'landing/organizations/orgs_2024-06-05.csv', '2024-06-01', 'the row'],
    ['', 'landing/organizations/orgs_2024-06-05.csv', '2024-06-05', 'the file name'],
    ['', 'landing/organizations/orgs-latest.csv', '2024-06-09', 'the landing time'],
  ])('takes snapshot date %j in %s as %s (from %s)', (rowValue, key, expected) => {
    expect(snapshotDay(rowValue, key)).toBe(day(expected));
  });

  it('does not require a snapshot_date column when the delivery gives the date', () => {
    const binding = compileContract(organizations, {
      key: 'landing/organizations/o.csv',
      landedAt,
    }).bindHeader(['organization_id']);
    expect(binding.missingRequired).toEqual([]);
    expect(snapshotDateOf(organizations, { key: 'landing/organizations/o.csv', landedAt })).toBe(
      '2024-06-09',
    );
    expect(
      snapshotDateOf(transactions, { key: 'landing/transactions/t_2024-01-01.csv', landedAt }),
    ).toBeUndefined();
  });
});

describe('event times outside the lake calendar', () => {
  const landedAt = new Date('2024-07-01T12:00:00Z');

  function eventViolations(eventTime: string) {
    const compiled = compileContract(transactions, { key: 'landing/transactions/x.csv', landedAt });
    const binding = compiled.bindHeader(HEADER);
    const raw: unknown[] = [];
    const out: unknown[] = [];
    binding.extract(
      HEADER.map((name, i) => (name === 'event_time' ? eventTime : (GOOD[i] ?? ''))),
      raw,
    );
    return compiled.validate(raw, out);
  }

  it.each([
    [
      '2019-12-31T23:59:59Z',
      "event_time 2019-12-31 is before 2020-01-01, the first day of the lake's calendar",
    ],
    [
      '2024-07-03T00:00:00Z',
      "event_time 2024-07-03 is after 2024-07-02: later than the day after the file landed (or the calendar's end)",
    ],
  ])('quarantines %s, which Athena and the balances would never see', (eventTime, message) => {
    expect(eventViolations(eventTime)).toEqual([{ field: 'event_time', rule: 'range', message }]);
  });

  it.each(['2020-01-01T00:00:00Z', '2024-07-02T23:59:59Z'])(
    'accepts %s at the edge of the window',
    (eventTime) => {
      expect(eventViolations(eventTime)).toEqual([]);
    },
  );
});
