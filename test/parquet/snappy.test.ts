import { snappyUncompress } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { snappyCompress } from '../../src/parquet/snappy';

/** Deterministic bytes: `repeat` controls how compressible they are. */
function bytes(length: number, repeat: number): Uint8Array {
  const out = new Uint8Array(length);
  let seed = length + repeat;
  for (let i = 0; i < length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out[i] = i % repeat === 0 ? seed >>> 24 : (out[i - 1] ?? 0);
  }
  return out;
}

function roundTrip(input: Uint8Array): Uint8Array {
  const output = new Uint8Array(input.length);
  snappyUncompress(snappyCompress(input), output);
  return output;
}

describe('snappyCompress', () => {
  it.each([
    ['empty input', bytes(0, 1)],
    ['shorter than the 15-byte margin', bytes(14, 1)],
    ['incompressible bytes', bytes(100_000, 1)],
    ['runs of one byte', bytes(100_000, 50)],
    ['a long literal before a match', new Uint8Array([...bytes(70_000, 1), ...bytes(70_000, 1)])],
    ['more than 64 KiB of one repeated byte', new Uint8Array(300_000).fill(7)],
    ['a view at an odd offset of a larger buffer', bytes(200_000, 7).subarray(3, 150_006)],
    ['a match that runs to the last byte', new Uint8Array([...bytes(1_001, 1), ...bytes(1_001, 1)])],
    [
      'Parquet-like plain strings',
      new TextEncoder().encode(
        Array.from({ length: 20_000 }, (_, i) => `\t\0\0\0T${String(i).padStart(8, '0')}`).join(''),
      ),
    ],
  ])('round-trips %s through the hyparquet decoder', (_case, input) => {
    const output = roundTrip(input);

    expect(Buffer.from(output).equals(Buffer.from(input))).toBe(true);
  });

  it('shrinks repetitive input', () => {
    const input = bytes(100_000, 50);

    const compressed = snappyCompress(input);

    expect(compressed.length).toBeLessThan(input.length / 10);
  });
});
