import { describe, expect, it } from 'vitest';
import { CsvTokenizer, RecordsInText } from '../../../src/ingest/formats/csv-tokenizer';
import { openSource } from '../../../src/ingest/formats/source-reader';

/** A CSV with every quirk the tokenizer handles, for comparing `readInText` with `read`. */
const QUIRKY = [
  'id,name,amount,note',
  '1,Ann,10.00,plain',
  '2,"Bob, Jr.",20.00,"quoted, with comma"',
  '',
  '   ',
  '3,Cy,30.00,"two',
  'lines"',
  '4,Di,40.00',
  '5,Ed,50.00,extra,,',
  '6,Fay,60.00,crlf\r',
  '7,"Gus ""the"" Great",70,x',
  '8,,,',
  'lonely',
  '9, spaced ,  9.5 ,null',
  '10,Hal,100.00,last without newline',
].join('\n');

/** Every record as `string[]`, from `read` (the reference) or from `readInText` (cutting slots). */
function records(text: string, chunkSize: number, inText: { fields: number; exact: boolean } | undefined) {
  const tokenizer = new CsvTokenizer({ fileName: 'quirky.csv', delimiter: ',' });
  const out: { fields: string[]; line: number; inText: boolean }[] = [];
  const header: string[][] = [];
  const headerLines: number[] = [];
  let at = 0;
  let atEnd = false;
  const next = () => {
    if (at >= text.length) {
      atEnd = true;
      return;
    }
    tokenizer.append(text.slice(at, at + chunkSize));
    at += chunkSize;
  };
  next();
  while (header.length === 0) {
    tokenizer.read(header, headerLines, 1, atEnd);
    if (header.length === 0) next();
  }
  const batch = inText ? new RecordsInText(inText.fields, inText.exact, 3) : undefined;
  for (;;) {
    if (batch) {
      tokenizer.readInText(batch, 3, atEnd);
      batch.records.forEach((record, r) => {
        const isSlot = typeof record === 'number';
        out.push({
          fields: isSlot ? batch.cut(record) : (record as string[]),
          line: batch.lines[r]!,
          inText: isSlot,
        });
      });
      const full = batch.records.length >= 3;
      batch.records = [];
      batch.lines = [];
      if (full) continue;
    } else {
      const found: string[][] = [];
      const lines: number[] = [];
      tokenizer.read(found, lines, 3, atEnd);
      found.forEach((fields, r) => {
        out.push({ fields, line: lines[r]!, inText: false });
      });
      if (found.length >= 3) continue;
    }
    if (atEnd) break;
    next();
  }
  return out;
}

describe('CsvTokenizer.readInText', () => {
  for (const chunkSize of [1, 2, 7, 64, 10_000]) {
    it(`finds the same records and lines as read (chunks of ${chunkSize})`, () => {
      const expected = records(QUIRKY, chunkSize, undefined);
      const actual = records(QUIRKY, chunkSize, { fields: 4, exact: true });
      expect(actual.map((r) => [r.line, r.fields])).toEqual(expected.map((r) => [r.line, r.fields]));
    });
  }

  it('leaves the records with the header width in the text, unless a field has escaped quotes', () => {
    const actual = records(QUIRKY, 10_000, { fields: 4, exact: true });
    expect(actual.filter((r) => r.inText).map((r) => r.line)).toEqual([2, 3, 6, 10, 12, 14, 15]);
  });

  it('gives quoted fields without their quotes, newlines inside them included', () => {
    const actual = records(QUIRKY, 10_000, { fields: 4, exact: true });
    expect(actual.find((r) => r.line === 3)?.fields).toEqual([
      '2',
      'Bob, Jr.',
      '20.00',
      'quoted, with comma',
    ]);
    expect(actual.find((r) => r.line === 6)?.fields).toEqual(['3', 'Cy', '30.00', 'two\nlines']);
    expect(actual.find((r) => r.line === 11)).toMatchObject({
      fields: ['7', 'Gus "the" Great', '70', 'x'],
      inText: false,
    });
  });

  it('with a projection, finds the first fields of records that have at least that many', () => {
    const actual = records(QUIRKY, 5, { fields: 2, exact: false });
    const reference = records(QUIRKY, 5, undefined);
    expect(actual.map((r) => r.line)).toEqual(reference.map((r) => r.line));
    for (const [i, record] of actual.entries()) {
      const full = reference[i]!.fields;
      if (record.inText) expect(record.fields).toEqual(full.slice(0, 2));
      else expect(record.fields).toEqual(full);
    }
    // 'lonely' has one field: cut whole, as read cuts it.
    expect(actual.find((r) => r.line === 13)).toEqual({ fields: ['lonely'], line: 13, inText: false });
  });

  it('refuses to run before the header was read', () => {
    const tokenizer = new CsvTokenizer({ fileName: 'x.csv', delimiter: ',' });
    tokenizer.append('a,b\n1,2\n');
    expect(() => tokenizer.readInText(new RecordsInText(2, true, 4), 4, true)).toThrow(/header/);
  });

  it('cuts a quoted record whose field has characters after the closing quote', () => {
    const actual = records('a,b\n"x"y,2\n"p",q\n', 10_000, { fields: 2, exact: true });
    expect(actual).toEqual([
      { fields: ['xy', '2'], line: 2, inText: false },
      { fields: ['p', 'q'], line: 3, inText: true },
    ]);
  });
});

describe('openSource batches with inText', () => {
  it('hands out batches whose slots point into their own text, across chunk boundaries', async () => {
    const lines = ['a,b,c'];
    for (let i = 0; i < 5000; i++) lines.push(i % 97 === 0 ? `${i},"q,${i}",z` : `${i},v${i},z`);
    const bytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
    async function* chunks() {
      for (let at = 0; at < bytes.length; at += 4096) yield bytes.subarray(at, at + 4096);
    }
    const source = await openSource(chunks(), 'many.csv', { batchSize: 256 });
    const seen: string[] = [];
    const seenLines: number[] = [];
    for await (const batch of source.batches({ inText: true })) {
      expect(batch.records.length).toBeLessThanOrEqual(256);
      batch.records.forEach((record, r) => {
        const fields = typeof record === 'number' ? batch.inText!.cut(record) : (record as string[]);
        seen.push(fields.join('|'));
        seenLines.push(batch.lines[r]!);
      });
    }
    expect(seen).toHaveLength(5000);
    expect(seen[0]).toBe('0|q,0|z');
    expect(seen[4999]).toBe('4999|v4999|z');
    expect(seen[1234]).toBe('1234|v1234|z');
    expect(seenLines[4999]).toBe(5001);
  });
});

describe('records longer than the text chunks', () => {
  it('reads a quoted field of several MB whole, in text and cut, between normal records', async () => {
    const field = 'x'.repeat(3 * 1024 * 1024 + 17);
    const bytes = new TextEncoder().encode(`a,b\n1,"${field}"\n2,3\n4,"${field}y"\n5,6\n`);
    for (const inText of [false, true]) {
      async function* chunks() {
        for (let at = 0; at < bytes.length; at += 100_000) yield bytes.subarray(at, at + 100_000);
      }
      const source = await openSource(chunks(), 'long.csv');
      const seen: [number, string, number][] = [];
      for await (const batch of source.batches({ inText })) {
        batch.records.forEach((record, r) => {
          const fields = typeof record === 'number' ? batch.inText!.cut(record) : (record as string[]);
          seen.push([batch.lines[r]!, fields[0]!, fields[1]!.length]);
        });
      }
      expect(seen).toEqual([
        [2, '1', field.length],
        [3, '2', 1],
        [4, '4', field.length + 1],
        [5, '5', 1],
      ]);
    }
  });
});
