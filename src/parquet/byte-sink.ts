import { once } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import { ParquetSinkError } from './errors';

/** Destination of the encoded bytes. `write()` may return a Promise to apply backpressure. */
export interface ByteSink {
  /** Receives the next bytes of the file, in order. The writer does not reuse `chunk` afterwards. */
  write(chunk: Uint8Array): void | Promise<void>;
  /** Called once after the last `write()`; resolves when every byte is durable at the destination. */
  close(): Promise<void>;
}

/**
 * A `ByteSink` on a local file that can give its file descriptor back between writes: a writer that
 * keeps many files going at once (one per day of a file spanning years) holds only a bounded number
 * open, under the 1,024 descriptors a Lambda function gets.
 */
export interface FileSink extends ByteSink {
  /** True while the file holds an open descriptor (between a `write()` and the next `release()`). */
  readonly isOpen: boolean;
  /**
   * Waits until what was written is on disk and closes the descriptor; the next `write()` reopens the
   * file and appends. The bytes of a Parquet part are written in order, so a part can be written in
   * any number of open/close spells.
   */
  release(): Promise<void>;
}

/**
 * A sink that writes to a local file through a Node write stream, creating the parent folders. The file
 * is opened on the first `write()` (truncating it) and reopened to append after a `release()`.
 * `write()` waits for the stream to drain when its buffer is full, so a slow disk slows the encoder
 * down instead of letting encoded row groups pile up in memory.
 */
export function fileSink(path: string): FileSink {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (cause) {
    throw new ParquetSinkError(`cannot create the folder for ${path}: check the path and its permissions`, {
      cause,
    });
  }
  let stream: WriteStream | undefined;
  let created = false;
  let failure: unknown;
  const fail = (cause: unknown): never => {
    throw new ParquetSinkError(`writing ${path} failed: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
  };
  const open = (): WriteStream => {
    // A row group is about a megabyte: with the default 16 KB buffer every row group would wait for the
    // disk before the next one is encoded. 8 MB lets the encoder run ahead by a few row groups.
    const opened = createWriteStream(path, { flags: created ? 'a' : 'w', highWaterMark: 8 * 1024 * 1024 });
    created = true;
    // Without a listener an asynchronous open/write error would crash the process; keep it for the next call.
    opened.on('error', (error) => {
      failure ??= error;
    });
    return opened;
  };
  const release = async (): Promise<void> => {
    if (failure !== undefined) fail(failure);
    if (!stream) return;
    const closing = stream;
    stream = undefined;
    closing.end();
    try {
      await finished(closing);
    } catch (cause) {
      fail(cause);
    }
  };
  return {
    get isOpen() {
      return stream !== undefined;
    },
    async write(chunk) {
      if (failure !== undefined) fail(failure);
      stream ??= open();
      if (!stream.write(chunk)) {
        try {
          // `once` rejects when 'error' is emitted while we wait, so a broken disk cannot hang the writer.
          await once(stream, 'drain');
        } catch (cause) {
          fail(cause);
        }
      }
    },
    release,
    async close() {
      // A sink closed without a single write still leaves its (empty) file behind.
      if (!created && failure === undefined) stream = open();
      await release();
    },
  };
}

/**
 * A sink that keeps every chunk in memory; `bytes()` returns them joined. For small files (tests, a
 * quarantine part that is uploaded in one request).
 */
export function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    write(chunk) {
      chunks.push(chunk);
    },
    async close() {},
    bytes() {
      return Buffer.concat(chunks);
    },
  };
}
