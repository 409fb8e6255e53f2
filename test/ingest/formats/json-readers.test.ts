import { describe, expect, it } from 'vitest';
import {
  type OpenedSource,
  openSource,
  UnparseableRecord,
  UnreadableFileError,
} from '../../../src/ingest/formats/source-reader';

const encoder = new TextEncoder();

async function* streamOf(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

function chunksOf(text: string, size: number): Uint8Array[] {
  const bytes = encoder.encode(text);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

async function readAll(
  source: OpenedSource,
): Promise<{ records: unknown[]; lines: number[]; batchSizes: number[] }> {
  const records: unknown[] = [];
  const lines: number[] = [];
  const batchSizes: number[] = [];
  for await (const batch of source.batches()) {
    records.push(...batch.records);
    lines.push(...batch.lines);
    batchSizes.push(batch.records.length);
  }
  return { records, lines, batchSizes };
}

async function read(text: string, fileName: string, chunkSize = 1 << 20) {
  return readAll(await openSource(streamOf(chunksOf(text, chunkSize)), fileName));
}

async function rejection(text: string, fileName: string): Promise<UnreadableFileError> {
  const error = await read(text, fileName).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(UnreadableFileError);
  return error as UnreadableFileError;
}

describe('JSON reader', () => {
  const orders =
    '[\n' +
    '  {"id": 1, "product": {"sku": "A-1", "tags": ["x", "y"]}, "note": "has ] and } and [ {"},\n' +
    '  {"id": 2, "product": {"sku": "B-2"}, "note": "escaped \\" quote, backslash \\\\"},\n' +
    '\t{ "id" : 3 , "product" : null , "note" : "\\\\\\"[{" }\n' +
    ']\n';
  const expectedOrders = [
    { id: 1, product: { sku: 'A-1', tags: ['x', 'y'] }, note: 'has ] and } and [ {' },
    { id: 2, product: { sku: 'B-2' }, note: 'escaped " quote, backslash \\' },
    { id: 3, product: null, note: '\\"[{' },
  ];

  it('streams the records of an array, numbered by their index', async () => {
    const { records, lines } = await read(orders, 'orders.json');

    expect(records).toEqual(expectedOrders);
    expect(lines).toEqual([1, 2, 3]);
  });

  it.each([1, 2, 3, 7, 16])('gives the same records in chunks of %i bytes', async (chunkSize) => {
    const { records, lines } = await read(orders, 'orders.json', chunkSize);

    expect(records).toEqual(expectedOrders);
    expect(lines).toEqual([1, 2, 3]);
  });

  it('reads an empty array as no records', async () => {
    const { records } = await read(' [ ] \n', 'orders.json');

    expect(records).toEqual([]);
  });

  it('passes elements that are not objects through for the contract to judge', async () => {
    const { records } = await read('[1, "two", null, [3], {"a": true}]', 'orders.json');

    expect(records).toEqual([1, 'two', null, [3], { a: true }]);
  });

  it('reads a single object wrapping one array of objects as that array', async () => {
    const text = '{"exported_at": "2024-05-01", "count": 2, "orders": [{"id": 1}, {"id": 2}]}';

    const { records, lines } = await read(text, 'orders.json');

    expect(records).toEqual([{ id: 1 }, { id: 2 }]);
    expect(lines).toEqual([1, 2]);
  });

  it('reads a sequence of pretty-printed objects, numbered by the line each starts on', async () => {
    const text = '{\n  "id": 1,\n  "items": [{"sku": "A"}]\n}\n{\n  "id": 2\n}\n';

    const { records, lines } = await read(text, 'orders.json', 5);

    expect(records).toEqual([{ id: 1, items: [{ sku: 'A' }] }, { id: 2 }]);
    expect(lines).toEqual([1, 5]);
  });

  it('reads a single object without an array of objects as one record', async () => {
    const { records } = await read('{"id": 1, "tags": ["a"]}', 'order.json');

    expect(records).toEqual([{ id: 1, tags: ['a'] }]);
  });

  it('hands out a large array in batches no longer than batchSize', async () => {
    const text =
      '[' + Array.from({ length: 20_000 }, (_, i) => `{"id":${i},"product":{"sku":"S${i}"}}`).join(',') + ']';
    const source = await openSource(streamOf(chunksOf(text, 4096)), 'orders.json', { batchSize: 3000 });

    const { records, batchSizes } = await readAll(source);

    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(3000);
    expect(records.length).toBe(20_000);
    expect(records[19_999]).toEqual({ id: 19_999, product: { sku: 'S19999' } });
  });

  it.each([
    {
      name: 'a syntax error inside a record',
      text: '[\n  {"a": 1},\n  {"a": }\n]\n',
      reason: 'invalid JSON at line 3 column 9: expected a value, found "}" (in record 2)',
    },
    {
      name: 'a missing comma between records',
      text: '[{"a": 1}\n {"a": 2}]',
      reason: "invalid JSON at line 2 column 2: expected ',' or ']' after record 1, found \"{\"",
    },
    {
      name: 'a trailing comma',
      text: '[{"a": 1},\n]',
      reason:
        "invalid JSON at line 2 column 1: expected a record after ',', found ']' (remove the trailing comma)",
    },
    {
      name: 'an array that is never closed',
      text: '[{"a": 1},\n {"a": 2}\n',
      reason:
        "invalid JSON at line 3 column 1: unexpected end of the file: the array's closing ']' is missing",
    },
    {
      name: 'a record cut off at the end of the file',
      text: '[{"a": 1}, {"a": "x',
      reason: 'invalid JSON at line 1 column 18: unterminated string (in record 2)',
    },
    {
      name: 'content after the closing bracket',
      text: '[{"a": 1}]\n[{"a": 2}]',
      reason: `invalid JSON at line 2 column 1: unexpected "[" after the closing ']' of the array`,
    },
    {
      name: 'a top-level string',
      text: '"orders"',
      reason: `JSON is not an array of records: it starts with "\\"", not with '[' or '{'; expected [{...}, {...}] or one object per line`,
    },
    {
      name: 'objects separated by commas without brackets',
      text: '{"a": 1},\n{"a": 2}',
      reason: `JSON is not an array of records: line 1 holds "," where the next object should start; expected [{...}, {...}] or one object per line`,
    },
  ])('rejects $name', async ({ text, reason }) => {
    const error = await rejection(text, 'orders.json');

    expect(error.reason).toBe(reason);
  });
});

describe('NDJSON reader', () => {
  it('reads one value per line, numbered by physical line, skipping blank lines', async () => {
    const text = '{"id":1,"product":{"sku":"A"}}\n\n  \r\n{"id":2}\r\n{"id":3}';

    const { records, lines } = await read(text, 'orders.ndjson');

    expect(records).toEqual([{ id: 1, product: { sku: 'A' } }, { id: 2 }, { id: 3 }]);
    expect(lines).toEqual([1, 4, 5]);
  });

  it('turns a line that is not JSON into an UnparseableRecord with its text and reason', async () => {
    const text = '{"id":1}\n{"id":2,"amount":}\n{"id":3}\n';

    const { records, lines } = await read(text, 'orders.jsonl');

    expect(records[1]).toBeInstanceOf(UnparseableRecord);
    expect(records[1]).toEqual(
      new UnparseableRecord('{"id":2,"amount":}', 'invalid JSON at column 18: expected a value, found "}"'),
    );
    expect([records[0], records[2]]).toEqual([{ id: 1 }, { id: 3 }]);
    expect(lines).toEqual([1, 2, 3]);
  });

  it.each([1, 3, 10])('gives the same records in chunks of %i bytes', async (chunkSize) => {
    const text = '{"city":"Zürich 🚀"}\r\n\n{"n":[1,2]}\n';

    const { records, lines } = await read(text, 'x.ndjson', chunkSize);

    expect(records).toEqual([{ city: 'Zürich 🚀' }, { n: [1, 2] }]);
    expect(lines).toEqual([1, 3]);
  });

  it('hands out a large file in batches no longer than batchSize', async () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `{"id":${i}}`).join('\n');
    const source = await openSource(streamOf(chunksOf(text, 4096)), 'big.ndjson', { batchSize: 1024 });

    const { records, batchSizes } = await readAll(source);

    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(1024);
    expect(records.length).toBe(20_000);
  });

  it('rejects a line longer than maxRecordChars', async () => {
    // Longer than a text piece (64 KiB): a shorter line reaches the reader whole, in one piece.
    const text = '{"id":1}\n{"blob":"' + 'x'.repeat(70_000) + '"}\n';
    const source = await openSource(streamOf(chunksOf(text, 500)), 'big.ndjson', { maxRecordChars: 1000 });

    const reading = readAll(source);

    await expect(reading).rejects.toThrow('line 2 is longer than 1000 characters');
  });
});
