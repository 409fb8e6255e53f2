import { describe, expect, it } from 'vitest';
import { columnName, inferContract } from '../../src/contract/infer';

const columns = (...names: string[]) => names.map((source) => ({ source }));

describe('inferContract', () => {
  it('proposes types, formats, the key and the event time from a CSV sample', () => {
    const rows = Array.from({ length: 60 }, (_, i) => [
      `T${i}`,
      `2024-06-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
      `${String((i % 28) + 1).padStart(2, '0')}/06/2024`,
      String(i * 3),
      `${i}.25`,
      `${i}.125`,
      ['upi', 'debit_card', 'credit_card'][i % 3],
      i % 2 === 0 ? 'true' : 'false',
      i % 7 === 0 ? '' : `note ${i}`,
    ]);
    const { contract, notes } = inferContract(
      'payments',
      columns('Txn ID', 'Event Time', 'Value Date', 'qty', 'Amount (USD)', 'rate', 'channel', 'flag', 'memo'),
      rows,
      { fileName: 'payments.csv' },
    );

    expect(contract.primaryKey).toEqual(['txn_id']);
    expect(contract.eventTime).toBe('event_time');
    expect(contract.columns.map((c) => [c.name, c.type])).toEqual([
      ['txn_id', 'string'],
      ['event_time', 'timestamp'],
      ['value_date', 'date'],
      ['qty', 'integer'],
      ['amount_usd', 'decimal(18,2)'],
      ['rate', 'double'],
      ['channel', 'string'],
      ['flag', 'boolean'],
      ['memo', 'string'],
    ]);
    const byName = Object.fromEntries(contract.columns.map((c) => [c.name, c]));
    expect(byName.value_date?.formats).toEqual(['dd/mm/yyyy']);
    expect(byName.event_time?.formats).toBeUndefined();
    expect(byName.amount_usd?.aliases).toEqual(['Amount (USD)']);
    expect(byName.txn_id?.aliases).toBeUndefined();
    expect(byName.channel?.allowed).toEqual(['credit_card', 'debit_card', 'upi']);
    expect(byName.qty?.range).toEqual({ min: 0 });
    expect(byName.memo?.required).toBeUndefined();
    expect(byName.txn_id?.required).toBe(true);
    expect(notes).toContain('channel: only 3 distinct values in the sample, proposed as allowed values');
  });

  it('does not call a column unique or allowed-valued when the sample says otherwise', () => {
    const rows = Array.from({ length: 12 }, (_, i) => [`C${i % 4}`, `city ${i}`, '2024-01-01']);
    const { contract, notes } = inferContract('visits', columns('customer_id', 'city', 'day'), rows, {
      fileName: 'v.csv',
    });
    // customer_id repeats: no unique column is key-named, so the first unique complete column is proposed.
    expect(contract.primaryKey).toEqual(['city']);
    expect(notes).toContain('primaryKey: city is unique in the sample; check it is a key');
    expect(contract.columns.find((c) => c.name === 'city')?.allowed).toBeUndefined();
    expect(contract.eventTime).toBe('day');
  });

  it('dates rows by the landing day when no column is a date, and says so', () => {
    const { contract, notes } = inferContract(
      'codes',
      columns('code', 'label'),
      [
        ['1', 'a'],
        ['2', 'b'],
      ],
      {
        fileName: 'codes.csv',
      },
    );
    expect(contract.eventTime).toBe('snapshot_date');
    expect(contract.snapshotDate).toEqual({ fromLandingTime: true });
    expect(contract.columns.at(-1)).toMatchObject({ name: 'snapshot_date', type: 'date', required: true });
    expect(notes.some((n) => n.startsWith('eventTime: no date or timestamp column'))).toBe(true);
  });

  it('keeps JSON numbers, booleans and nested paths', () => {
    const { contract } = inferContract(
      'orders',
      [{ source: 'order_id' }, { source: 'product.price', path: 'product.price' }, { source: 'paid' }],
      [
        ['O1', 10.5, true],
        ['O2', 3, false],
      ],
      { fileName: 'orders.json' },
    );
    expect(contract.columns).toMatchObject([
      { name: 'order_id', type: 'string' },
      { name: 'product_price', type: 'decimal(18,2)', path: 'product.price' },
      { name: 'paid', type: 'boolean' },
      { name: 'snapshot_date', type: 'date' },
    ]);
  });

  it.each([
    ['Transaction ID', 'transaction_id'],
    ['customerKey', 'customer_key'],
    ['  amount  ', 'amount'],
    ['2nd line', 'c_2nd_line'],
    ['%', 'column'],
  ])('names %j as %s', (source, name) => {
    expect(columnName(source)).toBe(name);
  });
});
