import { describe, expect, it } from 'vitest';
import { guessDataset } from '../../src/cli/commands/ingest';
import {
  attemptKey,
  commitKey,
  curatedKey,
  datasetOfLandingKey,
  manifestKey,
  outputStem,
  quarantineKey,
  rejectedFileKeys,
  sourceId,
} from '../../src/ingest/lake-layout';

const DAY = Date.UTC(2024, 5, 30) / 86_400_000;

describe('lake layout', () => {
  it.each([
    ['landing/transactions/2024-06-30.csv', 'transactions'],
    ['landing/sales/2024/06/orders.ndjson.gz', 'sales'],
    ['landing/transactions/', undefined],
    ['curated/transactions/dt=2024-06-30/x.parquet', undefined],
    ['transactions.csv', undefined],
  ])('routes %s to dataset %s', (key, dataset) => {
    expect(datasetOfLandingKey(key)).toBe(dataset);
  });

  it('names outputs after the file, a hash of its key and its content fingerprint', () => {
    const key = 'landing/transactions/2024-06-30.csv.gz';
    expect(sourceId(key)).toMatch(/^2024-06-30-[0-9a-f]{8}$/);
    expect(outputStem(key, '"9b2cf535f27731c974343645a3985328"', 'mk2x')).toBe(
      `${sourceId(key)}-9b2cf535f277-mk2x`,
    );
    expect(curatedKey('transactions', DAY, 'stem')).toBe('curated/transactions/dt=2024-06-30/stem.parquet');
    expect(quarantineKey('transactions', DAY, 'stem')).toBe(
      'quarantine/transactions/dt=2024-06-30/stem.parquet',
    );
    expect(manifestKey('transactions', key)).toBe(`manifests/transactions/${sourceId(key)}.json`);
    expect(commitKey('transactions', key, 'mk2x')).toBe(`commits/transactions/${sourceId(key)}--mk2x.json`);
    expect(attemptKey('transactions', key, 'mk2x')).toBe(`_attempts/transactions/${sourceId(key)}/mk2x.json`);
    expect(rejectedFileKeys('transactions', key, 'stem')).toEqual({
      file: 'quarantine/transactions/_files/stem/2024-06-30.csv.gz',
      report: 'quarantine/transactions/_files/stem/report.json',
    });
  });

  it('keeps two files of the same name in different folders apart, and the same key stable', () => {
    expect(sourceId('landing/sales/a/orders.json')).not.toBe(sourceId('landing/sales/b/orders.json'));
    expect(sourceId('landing/sales/a/orders.json')).toBe(sourceId('landing/sales/a/orders.json'));
  });

  it('changes the output names when the content changes, so a corrected file never overwrites half-way', () => {
    const key = 'landing/transactions/day.csv';
    expect(outputStem(key, 'aaaaaaaaaaaaaaaa', 'a1')).not.toBe(outputStem(key, 'bbbbbbbbbbbbbbbb', 'a1'));
  });

  it('gives every attempt at the same content its own names, so a retry never overwrites what readers see', () => {
    const key = 'landing/transactions/day.csv';
    expect(outputStem(key, 'aaaaaaaaaaaaaaaa', 'a1')).not.toBe(outputStem(key, 'aaaaaaaaaaaaaaaa', 'a2'));
  });
});

describe('guessDataset (ledgerlake ingest)', () => {
  it.each([
    ['/data/landing/sales/2024/orders.json', 'sales'],
    ['/exports/transactions/june.csv', 'transactions'],
    ['/exports/transactions_2024-06-30.csv', 'transactions'],
    ['/exports/customers-snapshot.csv', 'customers'],
    ['/exports/wires/x.csv', 'wires'],
  ])('lands %s under dataset %s', (path, dataset) => {
    expect(guessDataset(path)).toBe(dataset);
  });
});
