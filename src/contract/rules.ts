/**
 * The rules a value is checked against, one entry per rule id, each with the sentence a person reads
 * in the quarantine. Which rules apply to a column is declared in its `ColumnSpec` (its contract file).
 */

import type { ColumnSpec, RuleId } from './types';
import { show } from './values';

/** A rule applied to a parsed, non-null value; returns the reason when the value breaks it. */
export interface ValueRule {
  readonly id: RuleId;
  appliesTo(column: ColumnSpec): boolean;
  check(column: ColumnSpec, value: unknown): string | undefined;
}

/** Numbers as people wrote them: decimals are held in cents, so show them in units again. */
function inUnits(column: ColumnSpec, value: number): number {
  return column.type === 'decimal(18,2)' ? value / 100 : value;
}

export const VALUE_RULES: readonly ValueRule[] = [
  {
    id: 'allowed_values',
    appliesTo: (column) => column.allowed !== undefined,
    check(column, value) {
      return column.allowed?.includes(value as string)
        ? undefined
        : `${column.name} ${show(value)} is not one of ${column.allowed?.join(', ')}`;
    },
  },
  {
    id: 'range',
    appliesTo: (column) => column.range !== undefined,
    check(column, value) {
      const range = column.range ?? {};
      const n = inUnits(column, value as number);
      if (range.min !== undefined && (range.minExclusive ? !(n > range.min) : !(n >= range.min))) {
        return `${column.name} must be ${range.minExclusive ? '>' : '>='} ${range.min}, got ${n}`;
      }
      if (range.max !== undefined && (range.maxExclusive ? !(n < range.max) : !(n <= range.max))) {
        return `${column.name} must be ${range.maxExclusive ? '<' : '<='} ${range.max}, got ${n}`;
      }
      return undefined;
    },
  },
  {
    id: 'pattern',
    appliesTo: (column) => column.pattern !== undefined,
    check(column, value) {
      const pattern = column.pattern;
      // A `g` or `y` regex starts where its last match ended: from the value's start, a value's verdict
      // is its own, whatever came before it (in this file, another file, or the other thread).
      if (pattern) pattern.regex.lastIndex = 0;
      return pattern && !pattern.regex.test(value as string)
        ? `${column.name} ${show(value)} is not ${pattern.description}`
        : undefined;
    },
  },
];

/** Reason for a missing required value. */
export function requiredMessage(column: ColumnSpec, columnInSource: boolean): string {
  return columnInSource
    ? `${column.name} is required but empty`
    : `${column.name} is required but the source has no such column or field`;
}
