import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  type OpenedSource,
  openSource,
  UnreadableFileError,
} from '../../../src/ingest/formats/source-reader';

const encoder = new TextEncoder();

async function* streamOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

function bytesOf(text: string): Uint8Array {
  return encoder.encode(text);
}

async function readAll(source: OpenedSource): Promise<unknown[]> {
  const records: unknown[] = [];
  for await (const batch of source.batches()) records.push(...batch.records);
  return records;
}

/** Opens and reads the whole file, so that errors raised while iterating surface too. */
async function openAndRead(bytes: Uint8Array, fileName: string): Promise<unknown[]> {
  return readAll(await openSource(streamOf(bytes), fileName));
}

describe('openSource', () => {
  describe('compression', () => {
    it('gunzips a file that starts with the gzip magic bytes even when its name says .csv', async () => {
      const gzipped = gzipSync('id,amount\n1,2\n');

      const source = await openSource(streamOf(gzipped), 'transactions.csv');
      const records = await readAll(source);

      expect(source.compression).toBe('gzip');
      expect(records).toEqual([['1', '2']]);
    });

    it('reads a file named .gz that is not gzipped as plain text', async () => {
      const source = await openSource(streamOf(bytesOf('id\n7\n')), 'transactions.csv.gz');
      const records = await readAll(source);

      expect(source.compression).toBe('none');
      expect(records).toEqual([['7']]);
    });

    it('detects the magic bytes when they arrive in separate chunks', async () => {
      const gzipped = gzipSync('id\n1\n');

      const source = await openSource(streamOf(gzipped.subarray(0, 1), gzipped.subarray(1)), 'upload');
      const records = await readAll(source);

      expect(source.compression).toBe('gzip');
      expect(records).toEqual([['1']]);
    });
  });

  describe('format detection', () => {
    it.each([
      { fileName: 'a.csv', text: '[x]\n1\n', format: 'csv' },
      { fileName: 'a.TSV', text: 'x\n1\n', format: 'csv' },
      { fileName: 'a.txt', text: '{x}\n1\n', format: 'csv' },
      { fileName: 'a.csv.gz', text: 'x\n1\n', format: 'csv' },
      { fileName: 'landing/2024/a.json', text: '[{"x":1}]', format: 'json' },
      { fileName: 'a.json.gz', text: '[{"x":1}]', format: 'json' },
      { fileName: 'a.ndjson', text: '{"x":1}\n', format: 'ndjson' },
      { fileName: 'a.JSONL', text: '{"x":1}\n', format: 'ndjson' },
    ])('reads $fileName as $format by its extension', async ({ fileName, text, format }) => {
      const source = await openSource(streamOf(bytesOf(text)), fileName);

      expect(source.format).toBe(format);
    });

    it.each([
      { text: '  \n [{"x":1}]', format: 'json' },
      { text: '\n{"x":1}\n', format: 'ndjson' },
      { text: 'x,y\n1,2\n', format: 'csv' },
      { text: '\uFEFF[{"x":1}]', format: 'json' },
    ])('sniffs $format from the first character that is not white space', async ({ text, format }) => {
      const source = await openSource(streamOf(bytesOf(text)), 'export.dat');

      expect(source.format).toBe(format);
    });

    it('uses the format given by the caller over the extension', async () => {
      const source = await openSource(streamOf(bytesOf('{"x":1}\n')), 'a.csv', { format: 'ndjson' });
      const records = await readAll(source);

      expect(source.format).toBe('ndjson');
      expect(records).toEqual([{ x: 1 }]);
    });
  });

  it('reads a Node.js readable stream', async () => {
    const stream = Readable.from([Buffer.from('id,name\n1,Ana\n')]);

    const records = await readAll(await openSource(stream, 'people.csv'));

    expect(records).toEqual([['1', 'Ana']]);
  });

  it('refuses to iterate batches twice', async () => {
    const source = await openSource(streamOf(bytesOf('id\n1\n')), 'a.csv');
    await readAll(source);

    expect(() => source.batches()).toThrow('iterated only once');
  });

  it('stops reading the byte stream when the consumer stops early', async () => {
    let chunksPulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield bytesOf('id\n');
      for (;;) {
        chunksPulled++;
        yield bytesOf('1\n'.repeat(1000));
      }
    }
    const source = await openSource(endless(), 'a.csv', { batchSize: 10 });

    for await (const batch of source.batches()) {
      expect(batch.records.length).toBe(10);
      break;
    }

    expect(chunksPulled).toBe(1);
  });

  describe('unreadable files', () => {
    const validGzip = gzipSync('id,amount\n' + '1,2\n'.repeat(2000));
    it.each([
      { name: 'an empty file', bytes: new Uint8Array(0), message: 'empty file (0 bytes)' },
      {
        name: 'white space only',
        bytes: bytesOf(' \n\r\n\t'),
        message: 'empty file (nothing but white space)',
      },
      { name: 'a BOM only', bytes: bytesOf('\uFEFF'), message: 'empty file (nothing but white space)' },
      {
        name: 'an empty gzip stream',
        bytes: gzipSync(''),
        message: 'empty file (the gzip stream holds 0 bytes)',
      },
      {
        name: 'a NUL byte',
        bytes: Uint8Array.from([...bytesOf('id,amount\n1,2\n12'), 0, 7]),
        message: 'binary data (NUL byte at offset 16)',
      },
      {
        name: 'a UTF-16 file',
        bytes: Uint8Array.from([0xff, 0xfe, 0x69, 0x00]),
        message: 'UTF-16 text (byte order mark at the start); save the file as UTF-8',
      },
      {
        name: 'invalid UTF-8',
        bytes: Uint8Array.from([...bytesOf('id,city\n1,Z'), 0xfc, ...bytesOf('rich\n')]),
        message: 'not valid UTF-8 near byte 11; save the file as UTF-8',
      },
      {
        name: 'an encoded UTF-16 surrogate',
        bytes: Uint8Array.from([...bytesOf('id,city\n1,'), 0xed, 0xa0, 0x80, ...bytesOf('\n')]),
        message: 'not valid UTF-8 near byte 10; save the file as UTF-8',
      },
      {
        name: 'a multi-byte character cut off at the end',
        bytes: Uint8Array.from([...bytesOf('id,city\n1,Z'), 0xc3]),
        message: 'not valid UTF-8 near byte 11 (the file ends inside a multi-byte character)',
      },
      {
        name: 'a corrupt gzip stream',
        bytes: Uint8Array.from([...validGzip.subarray(0, 20), ...new Uint8Array(30).fill(0xff)]),
        message: /^gzip stream is corrupt: /,
      },
      {
        name: 'a truncated gzip stream',
        bytes: validGzip.subarray(0, validGzip.length - 10),
        message: 'gzip stream is corrupt: unexpected end of file',
      },
    ])('rejects $name', async ({ bytes, message }) => {
      const reading = openAndRead(bytes, 'transactions.csv');

      const error = await reading.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );

      expect(error).toBeInstanceOf(UnreadableFileError);
      expect((error as UnreadableFileError).reason).toMatch(message);
      expect((error as UnreadableFileError).message).toContain('transactions.csv');
    });
  });
});
