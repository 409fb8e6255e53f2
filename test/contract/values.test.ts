import { describe, expect, it } from 'vitest';
import {
  ParseFailure,
  parseDecimalCents,
  parseDouble,
  parseInteger,
  parseTemporal,
} from '../../src/contract/values';

const failure = (reason: string) => new ParseFailure(reason);

const DAY = 86_400_000;

describe('parseDecimalCents', () => {
  it.each([
    ['12.34', 1234],
    ['12.3', 1230],
    ['12', 1200],
    ['-0.05', -5],
    ['+7.50', 750],
    ['.5', 50],
    ['12.340', 1234],
    ['1234567890123.45', 123456789012345],
    [12.34, 1234],
    [0.1 + 0.2, 30],
  ])('reads %j as %d cents', (raw, cents) => {
    expect(parseDecimalCents(raw)).toEqual(cents);
  });

  it.each([
    ['12.345', 'has more than 2 decimal places'],
    [12.345, 'has more than 2 decimal places'],
    ['1,234.50', 'is not a decimal number'],
    ['abc', 'is not a decimal number'],
    ['-', 'is not a decimal number'],
    ['12.3.4', 'is not a decimal number'],
    ['99999999999999999.00', 'is too large for decimal(18,2)'],
    [true, 'is not a decimal number'],
  ])('rejects %j because it %s', (raw, reason) => {
    expect(parseDecimalCents(raw)).toEqual(failure(reason));
  });
});

describe('parseInteger and parseDouble', () => {
  it('reads whole numbers from text and JSON and rejects fractions', () => {
    expect(parseInteger('42')).toEqual(42);
    expect(parseInteger(-7)).toEqual(-7);
    expect(parseInteger('4.5')).toEqual(failure('is not a whole number'));
    expect(parseInteger('3000000000')).toEqual(failure('is outside the integer range'));
  });

  it('reads percentages as fractions only when the column allows them', () => {
    expect(parseDouble('15%', true)).toEqual(0.15);
    expect(parseDouble('15%', false)).toEqual(failure('is not a number'));
    expect(parseDouble('0.25', true)).toEqual(0.25);
  });

  it.each(['', '0x1f', 'NaN', 'Infinity', '1e'])('does not take %j for a number', (raw) => {
    expect(parseDouble(raw)).toBeInstanceOf(ParseFailure);
  });
});

describe('parseTemporal', () => {
  const all = ['iso', 'dd/mm/yyyy', 'mm-dd-yyyy', 'yyyy/mm/dd', 'epoch_millis'] as const;

  it.each([
    ['2024-03-05', Date.UTC(2024, 2, 5)],
    ['2024-03-05T10:15:00Z', Date.UTC(2024, 2, 5, 10, 15)],
    ['2024-03-05 10:15:30', Date.UTC(2024, 2, 5, 10, 15, 30)],
    ['2024-03-05T10:15:30.123Z', Date.UTC(2024, 2, 5, 10, 15, 30, 123)],
    ['2024-03-05T12:15:00+02:00', Date.UTC(2024, 2, 5, 10, 15)],
    ['2024-03-05T05:15:00-0500', Date.UTC(2024, 2, 5, 10, 15)],
    ['05/03/2024', Date.UTC(2024, 2, 5)],
    ['03-05-2024', Date.UTC(2024, 2, 5)],
    ['2024/03/05', Date.UTC(2024, 2, 5)],
    [1709633700000, 1709633700000],
    ['1709633700000', 1709633700000],
  ])('reads timestamp %j', (raw, millis) => {
    expect(parseTemporal(raw, 'timestamp', all)).toEqual(millis);
  });

  it('gives dates as UTC day numbers, converting offsets first', () => {
    expect(parseTemporal('2024-03-05T23:30:00-02:00', 'date', ['iso'])).toEqual(Date.UTC(2024, 2, 6) / DAY);
  });

  it.each([
    '31/31/2024',
    '2024-02-30',
    '2023-02-29T00:00:00Z',
    'yesterday',
    '2024-03-05T25:00:00Z',
    '1800-01-01',
    '',
  ])('rejects %j with the list of accepted formats', (raw) => {
    expect(parseTemporal(raw, 'date', all)).toEqual(
      failure(
        'is not a valid date in any accepted format (iso, dd/mm/yyyy, mm-dd-yyyy, yyyy/mm/dd, epoch_millis)',
      ),
    );
  });

  it('only accepts the formats the column declares', () => {
    expect(parseTemporal('05/03/2024', 'date', ['iso'])).toBeInstanceOf(ParseFailure);
    expect(parseTemporal('2024-02-29', 'date', ['iso'])).toEqual(Date.UTC(2024, 1, 29) / DAY);
  });
});
