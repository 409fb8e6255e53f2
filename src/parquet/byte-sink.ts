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
 * A sink that writes to a local file through a Node write stream, creating the parent folders.
 * `write()` waits for the stream to drain when its buffer is full, so a slow disk slows the encoder
 * down instead of letting encoded row groups pile up in memory.
 */
export function fileSink(path: string): ByteSink {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (cause) {
    throw new ParquetSinkError(`cannot create the folder for ${path}: check the path and its permissions`, {
      cause,
    });
  }
  // A row group is about a megabyte: with the default 16 KB buffer every row group would wait for the
  // disk before the next one is encoded. 8 MB lets the encoder run ahead by a few row groups.
  const stream: WriteStream = createWriteStream(path, { highWaterMark: 8 * 1024 * 1024 });
  let failure: unknown;
  // Without a listener an asynchronous open/write error would crash the process; keep it for the next call.
  stream.on('error', (error) => {
    failure ??= error;
  });
  const fail = (cause: unknown): never => {
    throw new ParquetSinkError(`writing ${path} failed: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
  };
  return {
    async write(chunk) {
      if (failure !== undefined) fail(failure);
      if (!stream.write(chunk)) {
        try {
          // `once` rejects when 'error' is emitted while we wait, so a broken disk cannot hang the writer.
          await once(stream, 'drain');
        } catch (cause) {
          fail(cause);
        }
      }
    },
    async close() {
      if (failure !== undefined) fail(failure);
      stream.end();
      try {
        await finished(stream);
      } catch (cause) {
        fail(cause);
      }
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
