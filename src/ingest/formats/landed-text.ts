import { isAscii } from 'node:buffer';
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
 * Streams UTF-8 text. Pure-ASCII chunks (the common case for ledger files) are decoded as Latin-1, which
 * V8 does several times faster than `TextDecoder` and which yields compact one-byte strings; other chunks
 * go through a fatal streaming `TextDecoder`, which keeps characters split across chunks intact.
 */
async function* decodeUtf8(
  bytes: AsyncIterable<Uint8Array>,
  fileName: string,
  gzip: boolean,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const where = gzip ? ' of the decompressed data' : '';
  let offset = 0;
  let pendingContinuationBytes = 0;
  let firstText = true;
  for await (const input of bytes) {
    if (input.length === 0) continue;
    const chunk = Buffer.isBuffer(input)
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
    if (nul !== -1)
      throw new UnreadableFileError(fileName, `binary data (NUL byte at offset ${offset + nul}${where})`);
    let text: string;
    if (pendingContinuationBytes === 0 && isAscii(chunk)) {
      text = chunk.toString('latin1');
    } else {
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch (error) {
        const at = offset + firstInvalidUtf8Index(chunk, pendingContinuationBytes);
        throw new UnreadableFileError(
          fileName,
          `not valid UTF-8 near byte ${at}${where}; save the file as UTF-8`,
          {
            cause: error,
          },
        );
      }
      pendingContinuationBytes = continuationBytesStillExpected(chunk, pendingContinuationBytes);
    }
    offset += chunk.length;
    if (text.length === 0) continue;
    if (firstText) {
      firstText = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) continue;
    }
    yield text;
  }
  try {
    const rest = decoder.decode();
    if (rest.length > 0) yield rest;
  } catch (error) {
    throw new UnreadableFileError(
      fileName,
      `not valid UTF-8 near byte ${offset}${where} (the file ends inside a multi-byte character)`,
      { cause: error },
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

/** After a valid chunk: how many continuation bytes the next chunk must start with. */
function continuationBytesStillExpected(chunk: Uint8Array, pendingBefore: number): number {
  const stop = Math.max(0, chunk.length - 4);
  for (let i = chunk.length - 1; i >= stop; i--) {
    const byte = chunk[i]!;
    if ((byte & 0xc0) !== 0x80) return Math.max(0, sequenceLength(byte) - (chunk.length - i));
  }
  // A short chunk of continuation bytes only: it continues the sequence of an earlier chunk.
  return Math.max(0, pendingBefore - chunk.length);
}

/** Index of the first byte that breaks UTF-8 in `chunk`; only called once decoding has failed. */
function firstInvalidUtf8Index(chunk: Uint8Array, pendingBefore: number): number {
  let i = pendingBefore;
  while (i < chunk.length) {
    const lead = chunk[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length = sequenceLength(lead);
    if (length === 1 || lead > 0xf4) return i;
    for (let k = 1; k < length; k++) {
      if (i + k >= chunk.length) return i;
      if ((chunk[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += length;
  }
  return Math.max(0, chunk.length - 1);
}
