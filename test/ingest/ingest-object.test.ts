import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { ingestObject } from '../../src/ingest/ingest-object';
import { manifestKey } from '../../src/ingest/lake-layout';
import {
  assertManifestAddsUp,
  MANIFEST_TIMESTAMP_FORMAT,
  type Manifest,
  ManifestInvariantError,
} from '../../src/ingest/manifest';
import { FsObjectStore } from '../../src/storage/fs-store';
import { ObjectChangedError } from '../../src/storage/object-store';

const HEADER =
  'transaction_id,event_time,customer_id,channel,city,type,amount,currency,status,processing_time_s';
const NOW = new Date('2024-07-01T08:00:00.000Z');

let dir: string;
let lake: FsObjectStore;
let duck: DuckDbEngine;

beforeAll(async () => {
  duck = await openDuckDb();
});
afterAll(async () => {
  await duck.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ingest-test-'));
  lake = new FsObjectStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Lands `body` at `key` and ingests it. */
async function land(
  key: string,
  body: string | Uint8Array,
  options: { rowGroupSize?: number; force?: boolean } = {},
) {
  await lake.put(key, body);
  return ingestObject({ landing: lake, lake, key, now: () => NOW, ...options });
}

async function keys(prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for await (const info of lake.list(prefix)) found.push(info.key);
  return found;
}

async function rows(sql: string) {
  return (await duck.query(sql.replaceAll('$LAKE', dir))).rows;
}

describe('ingestObject', () => {
  it('writes valid rows to day partitions with lineage, readable by DuckDB with the declared types', async () => {
    const csv = [
      HEADER,
      'T1,2024-06-01T23:59:59Z,C1,upi,Austin,deposit,100.00,USD,success,0.5',
      'T2,2024-06-02T00:00:00Z,C2,debit_card,Denver,fee,2.50,,failed,',
    ].join('\n');
    const { manifest } = await land('landing/transactions/day.csv', csv);

    expect(manifest.partitions).toEqual(['2024-06-01', '2024-06-02']);
    expect(await keys('curated/')).toEqual([
      expect.stringMatching(
        /^curated\/transactions\/dt=2024-06-01\/day-[0-9a-f]{8}-[0-9a-f]{12}-[0-9a-z]+\.parquet$/,
      ),
      expect.stringMatching(
        /^curated\/transactions\/dt=2024-06-02\/day-[0-9a-f]{8}-[0-9a-f]{12}-[0-9a-z]+\.parquet$/,
      ),
    ]);
    const types = await rows(
      "select column_name, column_type from (describe select * from read_parquet('$LAKE/curated/**/*.parquet'))",
    );
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toMatchObject({
      event_time: 'TIMESTAMP WITH TIME ZONE',
      amount: 'DECIMAL(18,2)',
      processing_time_s: 'DOUBLE',
      source_line: 'INTEGER',
    });
    expect(
      await rows(
        `select transaction_id, event_time, account_id, amount, currency, processing_time_s, source_key, source_line, ingested_at, dt
         from read_parquet('$LAKE/curated/**/*.parquet', hive_partitioning = true) order by transaction_id`,
      ),
    ).toEqual([
      {
        transaction_id: 'T1',
        event_time: '2024-06-01T23:59:59.000Z',
        account_id: 'C1',
        amount: 100,
        currency: 'USD',
        processing_time_s: 0.5,
        source_key: 'landing/transactions/day.csv',
        source_line: 2,
        ingested_at: NOW.toISOString(),
        dt: '2024-06-01',
      },
      {
        transaction_id: 'T2',
        event_time: '2024-06-02T00:00:00.000Z',
        account_id: 'C2',
        amount: 2.5,
        currency: 'USD',
        processing_time_s: null,
        source_key: 'landing/transactions/day.csv',
        source_line: 3,
        ingested_at: NOW.toISOString(),
        dt: '2024-06-02',
      },
    ]);
  });

  it('writes the manifest times in the format the Athena manifests table declares', async () => {
    const csv = `${HEADER}\nT1,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,1.00,USD,success,\n`;

    const { manifest } = await land('landing/transactions/times.csv', csv);

    const stored = JSON.parse(
      (await lake.getText(manifestKey('transactions', 'landing/transactions/times.csv'))) ?? 'null',
    );
    const format = javaDatePattern(MANIFEST_TIMESTAMP_FORMAT);
    for (const written of [manifest, stored] as Manifest[]) {
      expect([written.ingested_at, written.started_at, written.finished_at]).toEqual([
        expect.stringMatching(format),
        expect.stringMatching(format),
        expect.stringMatching(format),
      ]);
    }
  });

  it('stops, writing nothing, when the landed file is replaced while it is being ingested', async () => {
    const key = 'landing/transactions/replaced.csv';
    await lake.put(key, `${HEADER}\nT1,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,1.00,USD,success,\n`);
    const replacedAfterHead = Object.assign(Object.create(lake) as FsObjectStore, {
      async head(headKey: string) {
        const info = await lake.head(headKey);
        await lake.put(
          headKey,
          `${HEADER}\nT2,2024-06-01T11:00:00Z,C1,upi,Austin,deposit,2.00,USD,success,\n`,
        );
        return info;
      },
    });

    const ingest = ingestObject({ landing: replacedAfterHead, lake, key, now: () => NOW });

    await expect(ingest).rejects.toBeInstanceOf(ObjectChangedError);
    expect(await keys('curated/')).toEqual([]);
    expect(await keys('manifests/')).toEqual([]);
  });

  /** The curated rows' keys, amounts and source lines, by key. */
  const keptRows = () =>
    rows(
      `select transaction_id, amount, source_line from read_parquet('$LAKE/curated/**/*.parquet') order by 1`,
    );

  it('keeps the last of rows sharing a primary key and counts the others as duplicates', async () => {
    const csv = [
      HEADER,
      'T1,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,1.00,USD,success,0.5',
      'T2,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,2.00,USD,success,0.5',
      'T1,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,3.00,USD,success,0.5',
      ' T1 ,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,4.00,USD,success,0.5',
    ].join('\n');
    const { manifest } = await land('landing/transactions/dupes.csv', csv);

    expect(manifest).toMatchObject({
      rows_read: 4,
      rows_valid: 2,
      rows_quarantined: 0,
      duplicates_dropped: 2,
    });
    expect(await keptRows()).toEqual([
      { transaction_id: 'T1', amount: 4, source_line: 5 },
      { transaction_id: 'T2', amount: 2, source_line: 3 },
    ]);
  });

  it('keeps the last of rows sharing a key written two ways, the padded one last, in one batch', async () => {
    // The key pass hashes plain key cells in batches and a padded one (trimmed first) on its own: the
    // batch so far must be observed first, or T1 at line 2 would look like the last.
    const csv = `${[
      HEADER,
      'T1,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,1.00,USD,success,0.5',
      ' T1 ,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,2.00,USD,success,0.5',
      'T2,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,3.00,USD,success,0.5',
    ].join('\n')}\n`;
    const { manifest } = await land('landing/transactions/padded-dupes.csv', csv);

    expect(manifest).toMatchObject({ rows_read: 3, rows_valid: 2, duplicates_dropped: 1 });
    expect(await keptRows()).toEqual([
      { transaction_id: 'T1', amount: 2, source_line: 3 },
      { transaction_id: 'T2', amount: 3, source_line: 4 },
    ]);
  });

  it('quarantines invalid rows with their original values, reasons, source key and line', async () => {
    const csv = [
      'txn_id;event_time;customer_id;channel;city;type;amount;currency;status',
      'T1;2024-06-01T10:00:00Z;C1;bitcoin;Austin;deposit;-5;USD;success',
      'T2;not a date;C1;upi;Austin;deposit;5;USD;success',
    ].join('\r\n');
    const { manifest } = await land('landing/transactions/bad.csv', csv);

    expect(manifest).toMatchObject({
      rows_read: 2,
      rows_valid: 0,
      rows_quarantined: 2,
      delimiter: ';',
      violations_by_rule: { 'amount.range': 1, 'channel.allowed_values': 1, 'event_time.format': 1 },
    });
    // T1's event time is readable, so it lands on its own day; T2's is not, so it lands on the ingest day.
    expect(
      await rows(
        `select dt, source_key, source_line, rules, reasons, violation_count, record
         from read_parquet('$LAKE/quarantine/**/*.parquet', hive_partitioning = true) order by source_line`,
      ),
    ).toEqual([
      {
        dt: '2024-06-01',
        source_key: 'landing/transactions/bad.csv',
        source_line: 2,
        rules: 'amount.range|channel.allowed_values',
        reasons:
          "channel 'bitcoin' is not one of credit_card, debit_card, upi, net_banking; amount must be > 0, got -5",
        violation_count: 2,
        record: JSON.stringify({
          txn_id: 'T1',
          event_time: '2024-06-01T10:00:00Z',
          customer_id: 'C1',
          channel: 'bitcoin',
          city: 'Austin',
          type: 'deposit',
          amount: '-5',
          currency: 'USD',
          status: 'success',
        }),
      },
      expect.objectContaining({
        dt: '2024-07-01',
        source_line: 3,
        rules: 'event_time.format',
        reasons:
          "event_time 'not a date' is not a valid timestamp in any accepted format (iso, epoch_millis)",
      }),
    ]);
  });

  it('quarantines a JSON string holding half a surrogate pair instead of storing it as U+FFFD', async () => {
    const row = (id: string, city: string) =>
      `{"transaction_id":"${id}","event_time":"2024-06-01T10:00:00Z","customer_id":"C1","channel":"upi",` +
      `"city":"${city}","type":"deposit","amount":"1.00","currency":"USD","status":"success"}`;
    // JSON escapes, as a file holds them: T1's city is a lone high surrogate, T2's a whole pair (an emoji).
    const ndjson = [row('T1', 'A\\ud800'), row('T2', '\\ud83d\\ude00')].join('\n');
    const { manifest } = await land('landing/transactions/surrogates.ndjson', ndjson);

    expect(manifest).toMatchObject({
      rows_valid: 1,
      rows_quarantined: 1,
      violations_by_rule: { 'city.type': 1 },
    });
    expect(await rows(`select transaction_id, city from read_parquet('$LAKE/curated/**/*.parquet')`)).toEqual(
      [{ transaction_id: 'T2', city: '😀' }],
    );
    const [quarantined] = await rows(
      `select source_line, reasons, record from read_parquet('$LAKE/quarantine/**/*.parquet')`,
    );
    expect(quarantined).toMatchObject({ source_line: 1 });
    expect(String(quarantined?.reasons)).toBe(
      `city '"A\\ud800"' holds half of a UTF-16 surrogate pair, which UTF-8 cannot store (it would be written as U+FFFD); fix the escape in the source`,
    );
    // The original keeps the escape: nothing of the row is lost.
    expect(JSON.parse(String(quarantined?.record)).city).toBe('A\ud800');
  });

  it('writes a manifest whose counts add up, with the files, partitions and bytes', async () => {
    const csv = [
      HEADER,
      'T1,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,1.00,USD,success,0.5',
      'T2,,C1,upi,,deposit,1,USD,success,',
    ].join('\n');
    const { manifest } = await land('landing/transactions/m.csv', csv);
    const [manifestFile] = await keys('manifests/');
    const stored = JSON.parse((await lake.getText(manifestFile!))!) as Manifest;

    expect(stored).toEqual(manifest);
    expect(manifest.rows_read).toBe(
      manifest.rows_valid + manifest.rows_quarantined + manifest.duplicates_dropped,
    );
    expect(manifest.files_written.map((f) => [f.kind, f.partition, f.rows])).toEqual([
      ['curated', '2024-06-01', 1],
      ['quarantine', '2024-07-01', 1],
    ]);
    for (const file of manifest.files_written)
      expect((await stat(join(dir, file.key))).size).toBe(file.bytes);
    expect(manifest.bytes_in).toBe(csv.length);
    expect(manifest.bytes_out).toBe(manifest.files_written.reduce((s, f) => s + f.bytes, 0));
  });

  it('changes nothing when the same file is ingested again', async () => {
    const csv = [HEADER, 'T1,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,1.00,USD,success,0.5'].join('\n');
    const first = await land('landing/transactions/again.csv', csv);
    // Everything the pipeline wrote, with modification times (the landing object is the user's own re-drop).
    const outputs = async () =>
      Promise.all(
        (await keys())
          .filter((k) => !k.startsWith('landing/'))
          .map(async (k) => [k, (await stat(join(dir, k))).mtimeMs]),
      );
    const before = await outputs();

    const second = await land('landing/transactions/again.csv', csv);

    expect(second.skipped).toBe(true);
    expect(second.manifest).toEqual(first.manifest);
    expect(before).toHaveLength(3); // one curated file, the manifest and the commit record
    expect(await outputs()).toEqual(before);
  });

  it('replaces the outputs of an earlier version when a corrected file lands under the same key', async () => {
    await land(
      'landing/transactions/fix.csv',
      [HEADER, 'T1,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,1.00,USD,success,0.5'].join('\n'),
    );
    const { manifest } = await land(
      'landing/transactions/fix.csv',
      [HEADER, 'T1,2024-06-02T10:00:00Z,C1,upi,Austin,deposit,9.00,USD,success,0.5'].join('\n'),
    );

    expect(await keys('curated/')).toEqual([manifest.files_written[0]!.key]);
    expect(
      await rows(`select transaction_id, amount from read_parquet('$LAKE/curated/**/*.parquet')`),
    ).toEqual([{ transaction_id: 'T1', amount: 9 }]);
    expect(await keys('manifests/')).toHaveLength(1);
  });

  it('reads gzipped NDJSON with nested objects and quarantines lines that are not JSON', async () => {
    const ndjson = [
      JSON.stringify({
        order_id: 'S1',
        customer_id: 'C1',
        product: { id: 'P1', name: 'Desk', category: 'Furniture', price: 100 },
        quantity: 2,
        discount: '15%',
        region: 'North',
        order_date: 1717200000000,
      }),
      '{not json',
      JSON.stringify({
        order_id: 'S2',
        customer_id: 'C1',
        product: { id: 'P2', category: 'Toys', price: 5 },
        quantity: 1,
        region: 'south',
        order_date: '02/06/2024',
      }),
    ].join('\n');
    const { manifest } = await land('landing/sales/orders.ndjson.gz', gzipSync(ndjson));

    expect(manifest).toMatchObject({
      format: 'ndjson',
      compression: 'gzip',
      rows_read: 3,
      rows_valid: 2,
      rows_quarantined: 1,
    });
    expect(
      await rows(
        `select transaction_id, product_id, category, price, discount, order_date from read_parquet('$LAKE/curated/**/*.parquet') order by 1`,
      ),
    ).toEqual([
      {
        transaction_id: 'S1',
        product_id: 'P1',
        category: 'furniture',
        price: 100,
        discount: 0.15,
        order_date: '2024-06-01',
      },
      {
        transaction_id: 'S2',
        product_id: 'P2',
        category: 'toys',
        price: 5,
        discount: 0,
        order_date: '2024-06-02',
      },
    ]);
  });

  it.each([
    [
      'an unknown dataset',
      'landing/wire_transfers/x.csv',
      'a,b\n1,2\n',
      '_unknown',
      /unknown dataset 'wire_transfers' \(known datasets: [a-z_, ]*\btransactions\b[a-z_, ]*\); land files under landing\/<dataset>\//,
    ],
    [
      'binary data',
      'landing/transactions/blob.csv',
      new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 1, 2]),
      'transactions',
      /binary/,
    ],
    [
      'a header without required columns',
      'landing/transactions/cols.csv',
      'transaction_id,amount\nT1,5\n',
      'transactions',
      /the header is missing required columns: event_time, customer_id, channel, type, status/,
    ],
    ['JSON that is not an array of records', 'landing/sales/one.json', '{"a": 1', 'sales', /JSON/],
  ])(
    'rejects a file with %s whole, copying it to the quarantine with a report',
    async (_what, key, body, dataset, reason) => {
      const { manifest } = await land(key, body);

      expect(manifest.status).toBe('rejected');
      expect(manifest.rejection_reason).toMatch(reason);
      expect(manifest).toMatchObject({
        dataset,
        rows_read: 0,
        rows_valid: 0,
        rows_quarantined: 0,
        duplicates_dropped: 0,
      });
      const [file, report] = manifest.files_written;
      expect(await lake.getText(file!.key)).toBe(
        typeof body === 'string' ? body : Buffer.from(body).toString(),
      );
      expect(JSON.parse((await lake.getText(report!.key))!)).toMatchObject({
        source_key: key,
        reason: manifest.rejection_reason,
      });
      expect(await keys('curated/')).toEqual([]);
    },
  );

  it('splits a long multi-day file into row groups and one file per day', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 2500; i++) {
      const day = String(1 + (i % 5)).padStart(2, '0');
      lines.push(`T${i},2024-06-${day}T10:00:00Z,C${i % 7},upi,Austin,deposit,${i + 1}.00,USD,success,0.5`);
    }
    const { manifest } = await land('landing/transactions/long.csv', lines.join('\n'), { rowGroupSize: 200 });

    expect(manifest.partitions).toHaveLength(5);
    expect(await readdir(join(dir, 'curated/transactions'))).toHaveLength(5);
    const groups = await rows(
      `select count(distinct (file_name, row_group_id)) as groups from parquet_metadata('$LAKE/curated/**/*.parquet')`,
    );
    // 500 rows a day at 200 rows a group: at least 3 groups a day; buffers of several days may flush early.
    expect(groups[0]!.groups as number).toBeGreaterThanOrEqual(15);
    expect(
      await rows(
        `select count(*) as n, sum(amount) as total from read_parquet('$LAKE/curated/**/*.parquet')`,
      ),
    ).toEqual([{ n: 2500, total: (2500 * 2501) / 2 }]);
  });
});

describe('assertManifestAddsUp', () => {
  it('throws when read != valid + quarantined + duplicates', () => {
    const broken = {
      source_key: 'landing/x/y.csv',
      rows_read: 10,
      rows_valid: 5,
      rows_quarantined: 3,
      duplicates_dropped: 1,
    } as Manifest;
    expect(() => assertManifestAddsUp(broken)).toThrow(ManifestInvariantError);
    expect(() => assertManifestAddsUp({ ...broken, duplicates_dropped: 2 })).not.toThrow();
  });
});

/** A regex matching what a Java date pattern (`yyyy-MM-dd'T'...`: digits fields, quoted literals) formats. */
function javaDatePattern(pattern: string): RegExp {
  const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const source = pattern.replace(
    /'([^']*)'|([yMdHmsS])\2*|([^'a-zA-Z]+)/g,
    (field: string, literal?: string, letter?: string, other?: string) =>
      literal !== undefined
        ? quote(literal)
        : letter !== undefined
          ? `\\d{${field.length}}`
          : quote(other ?? ''),
  );
  return new RegExp(`^${source}$`);
}
