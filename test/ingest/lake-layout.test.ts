import { describe, expect, it } from 'vitest';
import { guessDataset } from '../../src/cli/commands/ingest';
import {
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
    expect(outputStem(key, '"9b2cf535f27731c974343645a3985328"')).toBe(`${sourceId(key)}-9b2cf535f277`);
    expect(curatedKey('transactions', DAY, 'stem')).toBe('curated/transactions/dt=2024-06-30/stem.parquet');
    expect(quarantineKey('transactions', DAY, 'stem')).toBe(
      'quarantine/transactions/dt=2024-06-30/stem.parquet',
    );
    expect(manifestKey('transactions', key)).toBe(`manifests/transactions/${sourceId(key)}.json`);
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
    expect(outputStem(key, 'aaaaaaaaaaaaaaaa')).not.toBe(outputStem(key, 'bbbbbbbbbbbbbbbb'));
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

describe('ledgerlake ingest with two files of the same name', () => {
  it('refuses them with a one-line reason instead of letting the second replace the first', async () => {
    const { execFile } = await import('node:child_process');
    const { mkdtemp, mkdir, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join, resolve } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'same-name-'));
    for (const month of ['2024-01', '2024-02']) {
      await mkdir(join(dir, 'transactions', month), { recursive: true });
      await writeFile(join(dir, 'transactions', month, 'data.csv'), 'transaction_id\n');
    }
    const failure = await new Promise<{ code: number | null; stderr: string }>((done) =>
      execFile(
        process.execPath,
        [resolve('bin/ledgerlake.mjs'), 'ingest', join(dir, 'transactions'), '--lake', join(dir, 'lake')],
        (error, _stdout, stderr) => done({ code: error ? (error.code as number) : 0, stderr }),
      ),
    );
    expect(failure.code).toBe(2);
    expect(failure.stderr.trim()).toBe(
      `ledgerlake: ${join(dir, 'transactions/2024-01/data.csv')} and ${join(dir, 'transactions/2024-02/data.csv')} ` +
        'would both land as landing/transactions/data.csv: rename one or ingest them separately',
    );
  });
});
