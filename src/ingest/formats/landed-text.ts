import { isAscii, isUtf8 } from 'node:buffer';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UnreadableFileError } from './errors';
import { DEFAULT_LIMITS, describeBytes, type InputLimits } from './limits';

/** Bytes of a landed file as the object store or a test hands them over. */
export type LandedBytes = AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

/** Size of the gunzip output buffers: large chunks keep the per-chunk work of the readers negligible. */
const GUNZIP_CHUNK_BYTES = 1 << 20;

/**
 * Decoded text of a landed file, pulled chunk by chunk. Readers can push text back (`unread`) after
 * peeking, e.g. to sniff the format or to find the CSV header line before batches are requested.
 */
export class LandedText {
  private readonly pushedBack: string[] = [];

  constructor(
    readonly compression: 'gzip' | 'none',
    private readonly chunks: AsyncIterator<string>,
  ) {}

  /** The next chunk of text, or undefined at the end of the file. Chunks are never empty. */
  async read(): Promise<string | undefined> {
    const pushed = this.pushedBack.pop();
    if (pushed !== undefined) return pushed;
    const next = await this.chunks.next();
    return next.done ? undefined : next.value;
  }

  /** Puts text back so that the next `read` returns it first. */
  unread(text: string): void {
    if (text.length > 0) this.pushedBack.push(text);
  }

  /** Stops reading early: releases the underlying stream (and the gunzip stream, if any). */
  async close(): Promise<void> {
    this.pushedBack.length = 0;
    await this.chunks.return?.();
  }
}

/**
 * Opens the byte stream of a landed file as text: gunzips when the first two bytes are the gzip magic
 * (1f 8b) whatever the file name says, rejects binary data (a NUL byte) and invalid UTF-8, and removes a
 * UTF-8 byte order mark. Throws `UnreadableFileError` for an empty file, here or while reading, and for
 * a gzip stream that expands beyond `limits` (decompressed bytes, ratio): memory stays flat meanwhile.
 */
export async function openLandedText(
  bytes: LandedBytes,
  fileName: string,
  limits: Pick<
    InputLimits,
    'maxDecompressedBytes' | 'maxCompressionRatio' | 'ratioCheckAfterBytes'
  > = DEFAULT_LIMITS,
): Promise<LandedText> {
  const raw = byteChunks(bytes)[Symbol.asyncIterator]();
  // Read until two bytes are known: the gzip magic can straddle the first chunk boundary.
  const head: Uint8Array[] = [];
  let headBytes = 0;
  while (headBytes < 2) {
    const next = await raw.next();
    if (next.done) break;
    if (next.value.length === 0) continue;
    head.push(next.value);
    headBytes += next.value.length;
  }
  if (headBytes === 0) throw new UnreadableFileError(fileName, 'empty file (0 bytes)');
  const firstByte = head[0]![0];
  const secondByte = head[0]!.length > 1 ? head[0]![1] : head[1]?.[0];
  const gzip = firstByte === 0x1f && secondByte === 0x8b;
  if (!gzip && Buffer.concat(head).subarray(0, 4).toString('latin1') === 'PAR1') {
    throw new UnreadableFileError(fileName, 'Parquet data in a file not named .parquet; name it .parquet');
  }
  const replayed = withHead(head, raw);
  const decompressed = gzip ? gunzip(replayed, fileName, limits) : replayed;
  return new LandedText(gzip ? 'gzip' : 'none', decodeUtf8(decompressed, fileName, gzip));
}

async function* byteChunks(bytes: LandedBytes): AsyncGenerator<Uint8Array> {
  for await (const chunk of bytes as AsyncIterable<Uint8Array | string>) {
    // A Node stream with an encoding set yields strings; go back to bytes so the checks below still apply.
    yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  }
}

async function* withHead(head: Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* head;
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
  } finally {
    await rest.return?.();
  }
}

/**
 * Compressed input in pieces this small: zlib inflates a whole input chunk before the output is
 * checked, and 16 KiB of a gzip bomb is at most about 16 MiB of output.
 */
const GUNZIP_INPUT_PIECE_BYTES = 16 * 1024;

async function* inPieces(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    for (let from = 0; from < chunk.length; from += GUNZIP_INPUT_PIECE_BYTES) {
      yield chunk.subarray(from, from + GUNZIP_INPUT_PIECE_BYTES);
    }
  }
}

async function* gunzip(
  compressed: AsyncIterable<Uint8Array>,
  fileName: string,
  limits: Pick<InputLimits, 'maxDecompressedBytes' | 'maxCompressionRatio' | 'ratioCheckAfterBytes'>,
): AsyncGenerator<Uint8Array> {
  const inflater = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  // pipeline() forwards errors of the source to the inflater and destroys both on early exit.
  const output = pipeline(Readable.from(inPieces(compressed), { highWaterMark: 1 }), inflater, () => {});
  let total = 0;
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) {
      total += chunk.length;
      // Checked before the chunk is handed on: a gzip bomb is stopped while memory holds one chunk.
      if (total > limits.maxDecompressedBytes) {
        throw new UnreadableFileError(
          fileName,
          `the gzip stream expands to more than ${describeBytes(limits.maxDecompressedBytes)}, ` +
            'the most a file may decompress to; split it into smaller files',
        );
      }
      // bytesWritten: the compressed bytes the inflater has consumed so far (not those read ahead).
      const consumed = inflater.bytesWritten;
      if (total >= limits.ratioCheckAfterBytes && total > limits.maxCompressionRatio * consumed) {
        throw new UnreadableFileError(
          fileName,
          `the gzip stream expands more than ${limits.maxCompressionRatio}:1 ` +
            `(${describeBytes(total)} from the first ${describeBytes(consumed)}): ` +
            'a decompression bomb, or data far more repetitive than records are',
        );
      }
      yield chunk;
    }
  } catch (error) {
    if (isZlibError(error)) {
      throw new UnreadableFileError(fileName, `gzip stream is corrupt: ${error.message}`, { cause: error });
    }
    throw error;
  } finally {
    output.destroy();
  }
  if (total === 0) throw new UnreadableFileError(fileName, 'empty file (the gzip stream holds 0 bytes)');
}

function isZlibError(error: unknown): error is Error & { code: string } {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * Bytes decoded into one text chunk. Reads are larger (1 MiB); decoding them in pieces keeps each text
 * below V8's large-object size, so a chunk that has been tokenized dies young instead of filling the
 * old generation (a 1 MiB string there per MiB read made a full collection every few MiB).
 */
const TEXT_PIECE_BYTES = 64 * 1024;

/**
 * Streams UTF-8 text, strictly: invalid sequences, overlong forms and surrogates reject the file.
 * Pure-ASCII chunks (the common case for ledger files) are decoded as Latin-1, several times faster than
 * UTF-8 decoding. Other chunks are validated with `isUtf8` and decoded with `Buffer#toString`, which
 * measured ~40% faster than a fatal streaming `TextDecoder` for the tokenizer as a whole (its strings
 * stay one-byte when they can).
 *
 * Each text chunk ends just after its last newline; the bytes after it are carried over to the next
 * chunk (a short read without a newline is carried whole). A tokenizer then rarely holds an unfinished
 * line to put in front of the next chunk, and the chunk it scans is one flat string: the text of an
 * unfinished line joined to the next chunk is a two-part (cons) string, on which every `charCodeAt` of
 * the hot path costs about twice as much. A piece without a newline (a line longer than a piece) is
 * cut at a character boundary instead.
 */
async function* decodeUtf8(
  bytes: AsyncIterable<Uint8Array>,
  fileName: string,
  gzip: boolean,
): AsyncGenerator<string> {
  const where = gzip ? ' of the decompressed data' : '';
  /** Bytes of the file before `chunk[0]`. */
  let offset = 0;
  /** The bytes after the last newline (or the start of a cut character) of the previous chunk. */
  let carried: Buffer | undefined;
  let firstText = true;
  /** Decodes `chunk[0, end)`, whose first byte is at `offset` in the file; rejects invalid UTF-8. */
  const decode = (chunk: Buffer, end: number): string => {
    const part = chunk.subarray(0, end);
    if (isAscii(part)) return chunk.toString('latin1', 0, end);
    if (!isUtf8(part)) {
      const at = offset + firstInvalidUtf8Index(part);
      throw new UnreadableFileError(
        fileName,
        `not valid UTF-8 near byte ${at}${where}; save the file as UTF-8`,
      );
    }
    return chunk.toString('utf8', 0, end);
  };
  /** Drops a byte order mark at the start of the file. */
  const withoutBom = (text: string): string => {
    if (!firstText || text.length === 0) return text;
    firstText = false;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  };
  for await (const read of bytes) {
    for (let from = 0; from < read.length; from += TEXT_PIECE_BYTES) {
      const input = read.subarray(from, from + TEXT_PIECE_BYTES);
      let chunk = Buffer.isBuffer(input)
        ? input
        : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      if (
        offset === 0 &&
        carried === undefined &&
        chunk.length >= 2 &&
        ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff))
      ) {
        throw new UnreadableFileError(
          fileName,
          'UTF-16 text (byte order mark at the start); save the file as UTF-8',
        );
      }
      const nul = chunk.indexOf(0);
      if (nul !== -1) {
        const at = offset + (carried?.length ?? 0) + nul;
        throw new UnreadableFileError(fileName, `binary data (NUL byte at offset ${at}${where})`);
      }
      // Joined with the carried bytes, the chunk is a copy of its own; otherwise it is part of the read.
      const joined = carried !== undefined;
      if (carried !== undefined) {
        chunk = Buffer.concat([carried, chunk]);
        carried = undefined;
      }
      const newline = chunk.lastIndexOf(10);
      if (newline < 0 && chunk.length < TEXT_PIECE_BYTES) {
        // No line ends here yet (a short read): wait for more bytes.
        carried = joined ? chunk : Buffer.from(chunk);
        continue;
      }
      const end = newline >= 0 ? newline + 1 : chunk.length - incompleteTailLength(chunk);
      const text = withoutBom(decode(chunk, end));
      // A copy: the carried bytes must not keep the whole read alive.
      if (end < chunk.length) carried = Buffer.from(chunk.subarray(end));
      offset += end;
      if (text.length > 0) yield text;
    }
  }
  if (carried !== undefined) {
    // The last line (no newline after it): its complete characters first, so an invalid byte in it is
    // named before a character cut off by the end of the file.
    const complete = carried.length - incompleteTailLength(carried);
    const text = withoutBom(decode(carried, complete));
    if (complete < carried.length) {
      throw new UnreadableFileError(
        fileName,
        `not valid UTF-8 near byte ${offset + complete}${where} (the file ends inside a multi-byte character)`,
      );
    }
    if (text.length > 0) yield text;
  }
}

/** Bytes a UTF-8 sequence starting with `lead` has in total (1 for ASCII and for invalid lead bytes). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

/**
 * Length of a multi-byte character cut off at the end of `chunk` (0 to 3 bytes), to be completed by the
 * next chunk. Invalid bytes are left in place for `isUtf8` to reject.
 */
function incompleteTailLength(chunk: Uint8Array): number {
  const stop = Math.max(0, chunk.length - 4);
  for (let i = chunk.length - 1; i >= stop; i--) {
    const byte = chunk[i]!;
    if ((byte & 0xc0) !== 0x80) {
      const have = chunk.length - i;
      return byte >= 0xc0 && sequenceLength(byte) > have ? have : 0;
    }
  }
  return 0;
}

/** Index of the first byte that breaks UTF-8 in `chunk`; only called once decoding has failed. */
function firstInvalidUtf8Index(chunk: Uint8Array): number {
  let i = 0;
  while (i < chunk.length) {
    const lead = chunk[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length = sequenceLength(lead);
    if (length === 1 || lead === 0xc0 || lead === 0xc1 || lead > 0xf4) return i;
    // RFC 3629 narrows the second byte after these leads: no overlong forms, surrogates or > U+10FFFF.
    const second = chunk[i + 1] ?? 0;
    if (lead === 0xe0 && second < 0xa0) return i;
    if (lead === 0xed && second > 0x9f) return i;
    if (lead === 0xf0 && second < 0x90) return i;
    if (lead === 0xf4 && second > 0x8f) return i;
    for (let k = 1; k < length; k++) {
      if (i + k >= chunk.length) return i;
      if ((chunk[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += length;
  }
  return Math.max(0, chunk.length - 1);
}
