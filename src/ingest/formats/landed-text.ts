import { isAscii, isUtf8 } from 'node:buffer';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UnreadableFileError } from './errors';

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
 * UTF-8 byte order mark. Throws `UnreadableFileError` for an empty file, here or while reading.
 */
export async function openLandedText(bytes: LandedBytes, fileName: string): Promise<LandedText> {
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
  const replayed = withHead(head, raw);
  const decompressed = gzip ? gunzip(replayed, fileName) : replayed;
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

async function* gunzip(compressed: AsyncIterable<Uint8Array>, fileName: string): AsyncGenerator<Uint8Array> {
  const inflater = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  // pipeline() forwards errors of the source to the inflater and destroys both on early exit.
  const output = pipeline(Readable.from(compressed), inflater, () => {});
  let total = 0;
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) {
      total += chunk.length;
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
 * Streams UTF-8 text, strictly: invalid sequences, overlong forms and surrogates reject the file.
 * Pure-ASCII chunks (the common case for ledger files) are decoded as Latin-1, several times faster than
 * UTF-8 decoding. Other chunks are validated with `isUtf8` and decoded with `Buffer#toString`, which
 * measured ~40% faster than a fatal streaming `TextDecoder` for the tokenizer as a whole (its strings
 * stay one-byte when they can). A character cut by a chunk boundary is carried over to the next chunk.
 */
/**
 * Bytes decoded into one text chunk. Reads are larger (1 MiB); decoding them in pieces keeps each text
 * below V8's large-object size, so a chunk that has been tokenized dies young instead of filling the
 * old generation (a 1 MiB string there per MiB read made a full collection every few MiB).
 */
const TEXT_PIECE_BYTES = 64 * 1024;

async function* decodeUtf8(
  bytes: AsyncIterable<Uint8Array>,
  fileName: string,
  gzip: boolean,
): AsyncGenerator<string> {
  const where = gzip ? ' of the decompressed data' : '';
  /** Bytes of the file before `chunk[0]`. */
  let offset = 0;
  /** The start of a character cut off at the end of the previous chunk (at most 3 bytes). */
  let carried: Buffer | undefined;
  let firstText = true;
  for await (const read of bytes) {
    for (let from = 0; from < read.length; from += TEXT_PIECE_BYTES) {
      const input = read.subarray(from, from + TEXT_PIECE_BYTES);
      let chunk = Buffer.isBuffer(input)
        ? input
        : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      if (
        offset === 0 &&
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
      let text: string;
      if (carried === undefined && isAscii(chunk)) {
        text = chunk.toString('latin1');
      } else {
        if (carried !== undefined) {
          chunk = Buffer.concat([carried, chunk]);
          offset -= carried.length;
          carried = undefined;
        }
        const complete = chunk.length - incompleteTailLength(chunk);
        if (!isUtf8(chunk.subarray(0, complete))) {
          const at = offset + firstInvalidUtf8Index(chunk);
          throw new UnreadableFileError(
            fileName,
            `not valid UTF-8 near byte ${at}${where}; save the file as UTF-8`,
          );
        }
        text = chunk.toString('utf8', 0, complete);
        if (complete < chunk.length) carried = Buffer.from(chunk.subarray(complete));
      }
      offset += chunk.length - (carried?.length ?? 0);
      if (text.length === 0) continue;
      if (firstText) {
        firstText = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        if (text.length === 0) continue;
      }
      yield text;
    }
  }
  if (carried !== undefined) {
    throw new UnreadableFileError(
      fileName,
      `not valid UTF-8 near byte ${offset}${where} (the file ends inside a multi-byte character)`,
    );
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
