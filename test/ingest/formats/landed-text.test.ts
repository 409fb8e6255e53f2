import { describe, expect, it } from 'vitest';
import { UnreadableFileError } from '../../../src/ingest/formats/errors';
import { openLandedText } from '../../../src/ingest/formats/landed-text';

const encoder = new TextEncoder();

async function* streamOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** The bytes of `text` in reads of `size` bytes: boundaries fall inside lines and characters. */
function readsOf(text: string, size: number): Uint8Array[] {
  const bytes = encoder.encode(text);
  const reads: Uint8Array[] = [];
  for (let from = 0; from < bytes.length; from += size) reads.push(bytes.subarray(from, from + size));
  return reads;
}

async function chunksOf(reads: Uint8Array[]): Promise<string[]> {
  const text = await openLandedText(streamOf(...reads), 'ledger.csv');
  const chunks: string[] = [];
  for (let chunk = await text.read(); chunk !== undefined; chunk = await text.read()) chunks.push(chunk);
  return chunks;
}

async function failureOf(reads: Uint8Array[]): Promise<string> {
  const error = await chunksOf(reads).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(UnreadableFileError);
  return (error as UnreadableFileError).reason;
}

describe('openLandedText', () => {
  it('ends every chunk but the last just after a newline, carrying the cut line to the next chunk', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => `${i},Zürich €${i},${'x'.repeat(i % 7)}\n`);
    const text = `id,city,note\n${lines.join('')}last line without newline`;

    for (const size of [1 << 20, 65_536 + 3, 4_099]) {
      const chunks = await chunksOf(readsOf(text, size));

      expect(chunks.join('')).toBe(text);
      expect(chunks.length).toBeGreaterThan(5);
      for (const chunk of chunks.slice(0, -1)) expect(chunk.endsWith('\n')).toBe(true);
      expect(chunks.at(-1)).toMatch(/without newline$/);
    }
  });

  it('cuts a line longer than a chunk at character boundaries, never inside a character', async () => {
    // 3-byte characters: the 64 KiB pieces fall inside one of them.
    const long = '€'.repeat(100_000);
    const text = `a,b\n1,${long}\n2,é\n`;

    const chunks = await chunksOf(readsOf(text, 1 << 20));

    expect(chunks.join('')).toBe(text);
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk).not.toContain('\uFFFD');
  });

  it('drops a byte order mark that a read boundary cuts', async () => {
    const bytes = encoder.encode('\uFEFFid\n1\n');

    const chunks = await chunksOf([bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2)]);

    expect(chunks.join('')).toBe('id\n1\n');
  });

  it('names the byte of the file where UTF-8 breaks, after carried bytes', async () => {
    const head = encoder.encode('id,city\n1,Zü');
    const bad = Uint8Array.from([...encoder.encode('rich\n2,Z'), 0xfc, ...encoder.encode('\n')]);

    // 'id,city\n' (8) + '1,Zü' (5) + 'rich\n2,Z' (8) = 21.
    expect(await failureOf([head, bad])).toBe('not valid UTF-8 near byte 21; save the file as UTF-8');
  });

  it('names the byte where the file ends inside a character, after a line', async () => {
    const bytes = Uint8Array.from([...encoder.encode('id,city\n1,Z\n2,ab'), 0xe2, 0x82]);

    expect(await failureOf([bytes])).toBe(
      'not valid UTF-8 near byte 16 (the file ends inside a multi-byte character)',
    );
  });

  it('names the first invalid byte of a last line without newline, before a character the end cuts', async () => {
    // Latin-1 text: 0xeb is invalid UTF-8 at byte 10, and the final 0xe9 looks like a cut character.
    const bytes = Uint8Array.from(Buffer.from('id,city\nZo\xeb,caf\xe9', 'latin1'));

    expect(await failureOf([bytes])).toBe('not valid UTF-8 near byte 10; save the file as UTF-8');
  });

  it('names the offset of a NUL byte that follows carried bytes', async () => {
    const first = encoder.encode('id\n12');
    const second = Uint8Array.from([...encoder.encode('34'), 0]);

    expect(await failureOf([first, second])).toBe('binary data (NUL byte at offset 7)');
  });
});
