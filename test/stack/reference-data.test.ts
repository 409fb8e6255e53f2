import { describe, expect, it } from 'vitest';
import { REFERENCE_TABLES, type ReferenceTable } from '../../datasets/reference';
import { PROJECT_ROOT } from '../../lib/project-root';
import {
  loadReferenceTsv,
  ReferenceDataError,
  referenceCsvToTsv,
  referenceObjectKey,
} from '../../lib/reference-data';

const CITIES: ReferenceTable = {
  name: 'ref_cities',
  file: 'cities.csv',
  description: 'Cities.',
  columns: [
    { name: 'city', type: 'string', description: 'City.' },
    { name: 'state', type: 'string', description: 'State.' },
  ],
};

describe('reference CSVs deployed for Athena', () => {
  it('turns quoted CSV fields into plain tab-separated values', () => {
    const tsv = referenceCsvToTsv(CITIES, 'city,state\r\n"Washington, D.C.",DC\r\nAustin,TX\r\n');

    expect(tsv).toBe('city\tstate\nWashington, D.C.\tDC\nAustin\tTX\n');
  });

  it('rejects a header that differs from the declaration, naming the file and both headers', () => {
    expect(() => referenceCsvToTsv(CITIES, 'city,region\nAustin,TX\n')).toThrow(
      "reference/cities.csv:1: header is 'city,region' but datasets/reference.ts declares 'city,state' for ref_cities",
    );
  });

  it('rejects a row with the wrong number of fields, naming the line', () => {
    expect(() => referenceCsvToTsv(CITIES, 'city,state\nAustin,TX\nDenver\n')).toThrow(ReferenceDataError);
    expect(() => referenceCsvToTsv(CITIES, 'city,state\nAustin,TX\nDenver\n')).toThrow(
      'reference/cities.csv:3: 1 fields',
    );
  });

  it('rejects a value LazySimpleSerDe cannot read', () => {
    expect(() => referenceCsvToTsv(CITIES, 'city,state\n"Aus\ttin",TX\n')).toThrow('column city holds a tab');
  });

  it.each(REFERENCE_TABLES.map((table) => [table.name, table]))(
    'converts the repo file of %s',
    (_name, table) => {
      const tsv = loadReferenceTsv(table, `${PROJECT_ROOT}/reference`);

      expect(tsv.split('\n')[0]).toBe(table.columns.map((column) => column.name).join('\t'));
    },
  );

  it('deploys each table to its own folder under reference/', () => {
    expect(referenceObjectKey(CITIES)).toBe('reference/ref_cities/cities.tsv');
  });
});
