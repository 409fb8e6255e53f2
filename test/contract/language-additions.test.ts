import { describe, expect, it } from 'vitest';
import { compileContract } from '../../src/contract/compile';
import type { ColumnSpec, DatasetContract, Violation } from '../../src/contract/types';
import { ParseFailure, parseDecimalCents, parseInteger, parseTemporal } from '../../src/contract/values';

const DAY = 86_400_000;
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY;

/** A payments source shaped like the public batch pipeline's daily drops. */
const columns: ColumnSpec[] = [
  { name: 'transaction_id', type: 'string', required: true, description: 'Id.' },
  {
    name: 'event_date',
    type: 'date',
    required: true,
    description: 'Day of the transaction.',
    aliases: ['date_key'],
    formats: ['yyyymmdd', 'dd.mm.yyyy'],
  },
  {
    name: 'channel',
    type: 'string',
    required: true,
    description: 'Channel, from the code the source gives.',
    aliases: ['channel_key'],
    lookup: {
      source: 'reference/channels.csv',
      key: 'channel_key',
      value: 'channel',
      entries: { '1': 'credit_card', '2': 'debit_card', '3': 'upi', '4': 'net_banking' },
    },
    allowed: ['credit_card', 'debit_card', 'upi', 'net_banking'],
  },
  {
    name: 'fee_percent',
    type: 'decimal(18,2)',
    description: 'Fee of the channel for this source.',
    aliases: ['channel_key'],
    lookup: {
      source: 'reference/channels.csv',
      key: 'channel_key',
      value: 'fee_percent',
      entries: { '1': '2.10', '2': '1.10', '3': '0.10', '4': 'n/a' },
    },
  },
  { name: 'amount', type: 'decimal(18,2)', required: true, description: 'Amount.', round: true },
  { name: 'units', type: 'integer', description: 'Units.', round: true },
  { name: 'exact', type: 'decimal(18,2)', description: 'Not rounded.' },
  { name: 'currency', type: 'string', required: true, description: 'Currency.', default: 'EUR' },
];
const contract: DatasetContract = {
  name: 'daily_drops',
  description: 'Daily drops.',
  primaryKey: ['transaction_id'],
  eventTime: 'event_date',
  columns,
};
const HEADER = ['transaction_id', 'date_key', 'channel_key', 'amount', 'units', 'exact'];
const GOOD: Record<string, string> = {
  transaction_id: 'T1',
  date_key: '20260301',
  channel_key: '1',
  amount: '12.50',
  units: '3',
  exact: '1.25',
};

/** Validates one CSV row, by the cut-out path and by the in-text path; both must agree. */
function validate(overrides: Record<string, string>) {
  const landed = {
    key: 'landing/daily_drops/raw/2026/03/01/transactions.csv',
    landedAt: new Date('2026-03-02'),
  };
  const fields = HEADER.map((name) => overrides[name] ?? GOOD[name]!);
  const cut = compileContract(contract, landed);
  const raw: unknown[] = [];
  const out: unknown[] = [];
  expect(cut.bindHeader(HEADER).extract(fields, raw)).toBeUndefined();
  const violations = cut.validate(raw, out);

  const inText = compileContract(contract, landed);
  const text = `${fields.join(',')}\n`;
  const bounds = new Int32Array(2 * fields.length);
  let at = 0;
  fields.forEach((field, k) => {
    bounds[2 * k] = at;
    bounds[2 * k + 1] = at + field.length;
    at += field.length + 1;
  });
  const rawText: unknown[] = [];
  const outText: unknown[] = [];
  inText.bindHeader(HEADER).extractFromText!(text, bounds, 0, rawText);
  expect(inText.validate(rawText, outText)).toEqual(violations);
  expect(outText).toEqual(out);

  const values = Object.fromEntries(columns.map((c, i) => [c.name, out[i]]));
  return { values, violations: violations as Violation[] };
}

describe('date formats yyyymmdd and dd.mm.yyyy', () => {
  it.each([
    ['20260301', 'yyyymmdd', '2026-03-01'],
    ['01.03.2026', 'dd.mm.yyyy', '2026-03-01'],
    ['29.02.2024 13:45', 'dd.mm.yyyy', '2024-02-29'],
  ] as const)('reads %s as %s', (text, format, iso) => {
    expect(parseTemporal(text, 'date', [format])).toBe(day(iso));
  });

  it('reads yyyymmdd given as an integer (JSON, Parquet)', () => {
    expect(parseTemporal(20260301, 'date', ['yyyymmdd'])).toBe(day('2026-03-01'));
    expect(parseTemporal(20260301, 'timestamp', ['yyyymmdd'])).toBe(day('2026-03-01') * DAY);
  });

  it.each(['2026031', '202603011', '20260230', '20261301', '2026-03-01', 'x0260301'])(
    'refuses %s as yyyymmdd',
    (text) => {
      expect(parseTemporal(text, 'date', ['yyyymmdd'])).toBeInstanceOf(ParseFailure);
    },
  );

  it('refuses 1.3.2026 and 01/03/2026 as dd.mm.yyyy', () => {
    expect(parseTemporal('1.3.2026', 'date', ['dd.mm.yyyy'])).toBeInstanceOf(ParseFailure);
    expect(parseTemporal('01/03/2026', 'date', ['dd.mm.yyyy'])).toBeInstanceOf(ParseFailure);
  });

  it('takes the event time (and so the partition day) from a yyyymmdd column', () => {
    const { values, violations } = validate({ date_key: '20260228' });
    expect(violations).toEqual([]);
    expect(values.event_date).toBe(day('2026-02-28'));
  });

  it('quarantines a date_key that does not parse, naming the field and the formats', () => {
    expect(validate({ date_key: '2026-02-28' }).violations).toEqual([
      {
        field: 'event_date',
        rule: 'format',
        message: "event_date '2026-02-28' is not a valid date in any accepted format (yyyymmdd, dd.mm.yyyy)",
      },
    ]);
  });
});

describe('code -> value lookups from a reference table', () => {
  it('keeps the value the reference table gives for the code', () => {
    const { values, violations } = validate({ channel_key: '3' });
    expect(violations).toEqual([]);
    expect(values.channel).toBe('upi');
    expect(values.fee_percent).toBe(10); // 0.10 in cents
  });

  it('matches the code after trimming', () => {
    expect(validate({ channel_key: ' 1 ' }).values.channel).toBe('credit_card');
  });

  it('quarantines a code the table does not list, naming the field, the code and the table', () => {
    const { violations } = validate({ channel_key: '7' });
    expect(violations).toEqual([
      {
        field: 'channel',
        rule: 'lookup',
        message: "channel '7' has no entry in reference/channels.csv (no row whose channel_key is 7)",
      },
      {
        field: 'fee_percent',
        rule: 'lookup',
        message: "fee_percent '7' has no entry in reference/channels.csv (no row whose channel_key is 7)",
      },
    ]);
  });

  it('types and checks the looked-up value like a source value', () => {
    expect(validate({ channel_key: '4' }).violations).toEqual([
      { field: 'fee_percent', rule: 'type', message: "fee_percent 'n/a' is not a decimal number" },
    ]);
  });

  it('looks up JSON numbers by their text', () => {
    const compiled = compileContract(contract);
    const raw: unknown[] = [];
    const out: unknown[] = [];
    compiled.bindJson().extract({ transaction_id: 'T1', date_key: 20260301, channel_key: 2, amount: 5 }, raw);
    expect(compiled.validate(raw, out)).toEqual([]);
    expect(out[2]).toBe('debit_card');
    expect(out[1]).toBe(day('2026-03-01'));
    // A Parquet INT64 arrives as a bigint.
    compiled
      .bindJson()
      .extract({ transaction_id: 'T2', date_key: 20260301, channel_key: 3n, amount: 5 }, raw);
    expect(compiled.validate(raw, out)).toEqual([]);
    expect(out[2]).toBe('upi');
  });
});

describe('a required column the source lacks', () => {
  it('is filled by its default, and the file is not refused', () => {
    const binding = compileContract(contract).bindHeader(HEADER);
    expect(binding.missingRequired).toEqual([]);
    const { values, violations } = validate({});
    expect(violations).toEqual([]);
    expect(values.currency).toBe('EUR');
  });

  it('without a default makes the file unreadable, naming the column', () => {
    const withoutDefault = {
      ...contract,
      columns: columns.map((c) => (c.name === 'currency' ? { ...c, default: undefined } : c)),
    };
    expect(compileContract(withoutDefault).bindHeader(HEADER).missingRequired).toEqual(['currency']);
  });
});

describe('rounding instead of rejecting', () => {
  it.each([
    ['2.345', 235],
    ['2.344', 234],
    ['-2.345', -235],
    ['9.995', 1000],
    ['0.004', 0],
    ['12', 1200],
  ])('rounds %s on a decimal column with round: true', (text, cents) => {
    expect(parseDecimalCents(text, true)).toBe(cents);
    const { values, violations } = validate({ amount: text });
    expect(violations).toEqual([]);
    expect(values.amount).toBe(cents);
  });

  it('rounds JSON numbers as written', () => {
    expect(parseDecimalCents(1.005, true)).toBe(101);
    expect(parseDecimalCents(-2.345, true)).toBe(-235);
  });

  it('rounds an integer column with round: true half away from zero', () => {
    expect(parseInteger('2.5', true)).toBe(3);
    expect(parseInteger('-2.5', true)).toBe(-3);
    expect(validate({ units: '3.4' }).values.units).toBe(3);
  });

  it('still quarantines a decimal column without round, naming the field', () => {
    expect(validate({ exact: '1.255' }).violations).toEqual([
      { field: 'exact', rule: 'type', message: "exact '1.255' has more than 2 decimal places" },
    ]);
  });

  it('still quarantines text that is no number on a rounding column', () => {
    expect(validate({ amount: '12,50' }).violations).toEqual([
      { field: 'amount', rule: 'type', message: "amount '12,50' is not a decimal number" },
    ]);
    expect(validate({ units: 'three' }).violations).toEqual([
      { field: 'units', rule: 'type', message: "units 'three' is not a number" },
    ]);
  });
});
