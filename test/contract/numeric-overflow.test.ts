import { describe, expect, it } from 'vitest';
import {
  doubleIn,
  ParseFailure,
  parseDecimalCents,
  parseDouble,
  parseInteger,
} from '../../src/contract/values';

const reason = (value: unknown) => (value instanceof ParseFailure ? value.reason : value);

describe('values that overflow their type are not read as numbers', () => {
  it.each([
    ['1e400', 'is out of range for a double (it overflows to infinity)'],
    ['-1e400', 'is out of range for a double (it overflows to infinity)'],
    ['1e-400', 'is too small for a double (it would read as 0)'],
    ['NaN', 'is not a number'],
    ['Infinity', 'is not a number'],
  ])('rejects the double %s', (text, expected) => {
    expect(reason(parseDouble(text))).toBe(expected);
    expect(reason(doubleIn(`x${text}y`, 1, text.length + 1))).toBe(expected);
  });

  it.each([
    ['123456789012345678901234567890', 'is too large for decimal(18,2)'],
    ['90071992547409.92', 'is too large for decimal(18,2)'],
    ['1e400', 'is not a decimal number'],
    [Number.POSITIVE_INFINITY, 'is not a finite number'],
    [1e300, 'is too large for decimal(18,2)'],
  ])('rejects the decimal %s', (raw, expected) => {
    expect(reason(parseDecimalCents(raw))).toBe(expected);
  });

  it('reads the largest decimal it can hold exactly, leading zeros and a JSON number needing its shortest text', () => {
    expect(parseDecimalCents('90071992547409.91')).toBe(9_007_199_254_740_991);
    expect(parseDecimalCents('0000000000000000000000012.50')).toBe(1250);
    expect(parseDecimalCents(12_345_678_901_234.56)).toBe(1_234_567_890_123_456);
  });

  it('reads -0 as 0 in every numeric type', () => {
    expect(Object.is(parseDecimalCents('-0.00'), 0)).toBe(true);
    expect(Object.is(parseDecimalCents(-0), 0)).toBe(true);
    expect(Object.is(parseDouble('-0'), 0)).toBe(true);
    expect(Object.is(parseDouble(-0), 0)).toBe(true);
    expect(Object.is(parseInteger('-0'), 0)).toBe(true);
  });

  it('still reads ordinary values (negative control)', () => {
    expect(parseDouble('1e300')).toBe(1e300);
    expect(parseDouble('0.000')).toBe(0);
    expect(parseDecimalCents('-12.30')).toBe(-1230);
  });
});
