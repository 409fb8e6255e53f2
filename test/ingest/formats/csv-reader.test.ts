import { describe, expect, it } from 'vitest';
import {
  type OpenedSource,
  openSource,
  UnreadableFileError,
} from '../../../src/ingest/formats/source-reader';

const encoder = new TextEncoder();

/** Splits bytes into chunks whose sizes come from `nextSize`. */
function split(bytes: Uint8Array, nextSize: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = Math.max(1, nextSize());
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

async function* streamOf(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
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

async function readCsv(
  text: string | Uint8Array,
  fileName = 'transactions.csv',
  chunks?: (bytes: Uint8Array) => Uint8Array[],
) {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text;
  const source = await openSource(streamOf(chunks ? chunks(bytes) : [bytes]), fileName);
  const { records, lines } = await readAll(source);
  return { header: source.header, delimiter: source.delimiter, format: source.format, records, lines };
}

/** A seeded generator, so that a failing random split can be reproduced. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('CSV reader', () => {
  it.each([
    { name: 'comma', delimiter: ',' },
    { name: 'semicolon', delimiter: ';' },
    { name: 'tab', delimiter: '\t' },
  ])('detects the $name delimiter from the header line', async ({ delimiter }) => {
    const text =
      ['id', 'amount', 'city'].join(delimiter) + '\n' + ['1', '2.50', 'Oslo'].join(delimiter) + '\n';

    const result = await readCsv(text);

    expect(result.delimiter).toBe(delimiter);
    expect(result.header).toEqual(['id', 'amount', 'city']);
    expect(result.records).toEqual([['1', '2.50', 'Oslo']]);
  });

  it('counts delimiters outside quotes only when detecting the delimiter', async () => {
    const text = '"a;b;c";"d,e";f\n1;2;3\n';

    const result = await readCsv(text);

    expect(result.delimiter).toBe(';');
    expect(result.header).toEqual(['a;b;c', 'd,e', 'f']);
  });

  it('chooses the comma when delimiters are tied', async () => {
    const result = await readCsv('a,b;c\n1,2;3\n');

    expect(result.delimiter).toBe(',');
    expect(result.records).toEqual([['1', '2;3']]);
  });

  it('uses tab for a .tsv file whatever the header holds', async () => {
    const result = await readCsv('a,b,c\td\n1,2,3\t4\n', 'export.tsv');

    expect(result.delimiter).toBe('\t');
    expect(result.records).toEqual([['1,2,3', '4']]);
  });

  it('unescapes doubled quotes and keeps delimiters inside quoted fields', async () => {
    const text = 'id,note,city\n1,"she said ""hi""","Washington, D.C."\n2,"""",""\n';

    const result = await readCsv(text);

    expect(result.records).toEqual([
      ['1', 'she said "hi"', 'Washington, D.C.'],
      ['2', '"', ''],
    ]);
  });

  it('keeps LF and CRLF newlines inside quoted fields and counts the lines they span', async () => {
    const text = 'id,note\r\n1,"line one\nline two"\r\n2,"a\r\nb\r\nc"\r\n3,end\r\n';

    const result = await readCsv(text);

    expect(result.records).toEqual([
      ['1', 'line one\nline two'],
      ['2', 'a\r\nb\r\nc'],
      ['3', 'end'],
    ]);
    expect(result.lines).toEqual([2, 4, 7]);
  });

  it.each([
    { name: 'LF', text: 'a,b\n1,2\n3,4\n' },
    { name: 'CRLF', text: 'a,b\r\n1,2\r\n3,4\r\n' },
    { name: 'mixed', text: 'a,b\r\n1,2\n3,4\r\n' },
    { name: 'no final newline', text: 'a,b\n1,2\n3,4' },
    { name: 'no final newline after CR', text: 'a,b\r\n1,2\r\n3,4\r' },
  ])('reads $name line endings', async ({ text }) => {
    const result = await readCsv(text);

    expect(result.header).toEqual(['a', 'b']);
    expect(result.records).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(result.lines).toEqual([2, 3]);
  });

  it('reads a quoted last field at the end of a file without final newline', async () => {
    const result = await readCsv('a,b\n1,"x, y"');

    expect(result.records).toEqual([['1', 'x, y']]);
  });

  it('removes the UTF-8 byte order mark from the first column name', async () => {
    const result = await readCsv('\uFEFFid,amount\n1,2\n');

    expect(result.header).toEqual(['id', 'amount']);
  });

  it('skips blank lines but keeps counting them', async () => {
    const text = 'a,b\n\n1,2\r\n\r\n   \n3,4\n\n';

    const result = await readCsv(text);

    expect(result.records).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(result.lines).toEqual([3, 6]);
  });

  it('skips blank lines before the header', async () => {
    const result = await readCsv('\n\na,b\n1,2\n');

    expect(result.header).toEqual(['a', 'b']);
    expect(result.lines).toEqual([4]);
  });

  it('passes rows with the wrong number of fields through unchanged', async () => {
    const text = 'a,b,c\n1,2\n1,2,3,4\n"x"\n';

    const result = await readCsv(text);

    expect(result.records).toEqual([['1', '2'], ['1', '2', '3', '4'], ['x']]);
  });

  it('keeps trailing empty fields and surrounding whitespace', async () => {
    const text = 'a,b,c\n 1 ,, \n,,\n';

    const result = await readCsv(text);

    expect(result.records).toEqual([
      [' 1 ', '', ' '],
      ['', '', ''],
    ]);
  });

  it('treats a quote inside an unquoted field as a character and keeps text after a closing quote', async () => {
    const text = 'a,b\n5" pipe,"abc"def\n';

    const result = await readCsv(text);

    expect(result.records).toEqual([['5" pipe', 'abcdef']]);
  });

  it('returns the header alone and no batches for a file without data rows', async () => {
    const result = await readCsv('id,amount\n');

    expect(result.header).toEqual(['id', 'amount']);
    expect(result.records).toEqual([]);
  });

  it('rejects an unterminated quoted field naming the line where it starts', async () => {
    const text = 'a,b\n1,2\n3,"open\nstill open\n4,5\n';

    const reading = readCsv(text);

    await expect(reading).rejects.toThrow(UnreadableFileError);
    await expect(reading).rejects.toThrow('unterminated quoted field starting at line 3');
  });

  it('rejects a record longer than maxRecordChars instead of buffering the whole file', async () => {
    const text = 'a,b\n1,"' + 'x'.repeat(5000) + '\n'.repeat(10) + '2,3\n'.repeat(500);
    const chunks = split(encoder.encode(text), () => 256);
    const source = await openSource(streamOf(chunks), 'big.csv', { maxRecordChars: 1000 });

    const reading = readAll(source);

    await expect(reading).rejects.toThrow(/the record starting at line 2 is longer than 1000 characters/);
  });

  it('rejects a small file whose lines end with CR only', async () => {
    const reading = readCsv('a,b\r1,2\r3,4\r');

    await expect(reading).rejects.toThrow('lines end with CR only');
  });

  it('rejects a file whose lines end with CR only, saying so', async () => {
    const text = 'a,b\r' + '1,2\r'.repeat(1000);
    const chunks = split(encoder.encode(text), () => 512);

    const reading = openSource(streamOf(chunks), 'mac.csv', { maxRecordChars: 1000 }).then(readAll);

    await expect(reading).rejects.toThrow('lines end with CR only');
  });

  it('rejects a quote opened in the header and never closed without reading the whole file', async () => {
    const text = 'a,"b\n' + '1,2\n'.repeat(1000);
    const chunks = split(encoder.encode(text), () => 512);

    const reading = openSource(streamOf(chunks), 'open.csv', { maxRecordChars: 1000 });

    await expect(reading).rejects.toThrow('the header line is longer than 1000 characters');
  });

  it('rejects a file whose first line has no column names', async () => {
    const reading = readCsv(',,\n1,2,3\n');

    await expect(reading).rejects.toThrow('CSV has no header row');
  });

  describe('chunk boundaries', () => {
    const tricky =
      '\uFEFFid;note;city\r\n' +
      '1;"semi;colon ""quoted""";Zürich\r\n' +
      '\r\n' +
      '2;"multi\r\nline\nfield";São Paulo\n' +
      '3;plain;€uro 🚀\r\n' +
      '4;"";"ends with quote"""\n' +
      '5;trailing;\n' +
      '6;"last"';
    const expected = {
      header: ['id', 'note', 'city'],
      delimiter: ';',
      format: 'csv',
      records: [
        ['1', 'semi;colon "quoted"', 'Zürich'],
        ['2', 'multi\r\nline\nfield', 'São Paulo'],
        ['3', 'plain', '€uro 🚀'],
        ['4', '', 'ends with quote"'],
        ['5', 'trailing', ''],
        ['6', 'last'],
      ],
      lines: [2, 4, 7, 8, 9, 10],
    };
    const bytes = encoder.encode(tricky);

    it('reads the input in one chunk as worked out by hand', async () => {
      const result = await readCsv(bytes);

      expect(result).toEqual(expected);
    });

    it('gives the same records when fed one byte at a time', async () => {
      const result = await readCsv(bytes, 'x.csv', (all) => split(all, () => 1));

      expect(result).toEqual(expected);
    });

    it.each([1, 2, 3, 4, 5])('gives the same records for random chunk sizes (seed %i)', async (seed) => {
      const next = seeded(seed);

      const result = await readCsv(bytes, 'x.csv', (all) => split(all, () => 1 + Math.floor(next() * 9)));

      expect(result).toEqual(expected);
    });

    it('gives the same records wherever a single chunk boundary falls', async () => {
      const differing: number[] = [];

      for (let cut = 1; cut < bytes.length; cut++) {
        const result = await readCsv(bytes, 'x.csv', (all) => [all.subarray(0, cut), all.subarray(cut)]);
        if (JSON.stringify(result) !== JSON.stringify(expected)) differing.push(cut);
      }

      expect(differing).toEqual([]);
    });
  });

  it('hands out a large file in batches no longer than batchSize, in order', async () => {
    const rows = 200_000;
    const lines = ['transaction_id,amount,city'];
    for (let i = 1; i <= rows; i++)
      lines.push(i % 97 === 0 ? `T${i},${i}.00,"Paris, FR"` : `T${i},${i}.00,Oslo`);
    const chunks = split(encoder.encode(lines.join('\n') + '\n'), () => 65_536);
    const source = await openSource(streamOf(chunks), 'transactions.csv', { batchSize: 5000 });

    const { records, lines: recordLines, batchSizes } = await readAll(source);

    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(5000);
    expect(batchSizes.length).toBe(Math.ceil(rows / 5000));
    expect(records.length).toBe(rows);
    expect(records[96]).toEqual(['T97', '97.00', 'Paris, FR']);
    expect(recordLines[rows - 1]).toBe(rows + 1);
  });
});
