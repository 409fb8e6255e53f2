/**
 * A split ingest: a large uncompressed CSV in the local lake is read in two threads. The file is cut
 * just after a newline near its middle; the main pass over the first part runs here, the one over the
 * second part (after a copy of the header) in a worker thread, each staging its own Parquet parts.
 *
 * Nothing is guessed. The key pass reads the whole file here, as an ingest in one thread does, and the
 * cut is used only when that pass finds records starting on the line before the cut and on the line at
 * it (so the cut is not inside a quoted field, nor next to a blank line). The worker's pass must then
 * start on the cut's line, with the same header, and read the rest of the file's records; otherwise its
 * parts are dropped and the file is ingested again in one thread.
 *
 * Both threads answer duplicates from the one key pass, so a row is superseded by a later row anywhere
 * in the file, exactly as in one thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../contract/package-root';
import type { DatasetContract } from '../contract/types';
import type { CachedEtag, FsObjectStore } from '../storage/fs-store';
import { formatFromFileName } from './formats/format-detection';
import type { LastOccurrenceIndex } from './last-occurrence';
import type { FilePart, MainPass, SourceVersion } from './row-passes';

/**
 * Smaller files are ingested in one thread: the worker's start and its code's warm-up cost about what
 * it saves. Measured through the CLI (median of 5 alternating runs): 20 MB 1.31 s in one thread against
 * 1.36 s in two, 40 MB 2.00 s against 1.93 s, 100 MB 4.97 s against 4.03 s (and 3.48 s since).
 */
export const SPLIT_MIN_BYTES = 32 * 1024 * 1024;
/**
 * The worker's young generation. Node's default lets it grow towards 48 MB as an ingest goes on, which
 * made peak RSS grow with the file (1M rows 235-243 MB, 4M 262 MB); at 8 MB, 218-228 and 213 MB, as
 * fast within the noise (median of 6 alternating runs 3.87 s against 3.73 s).
 */
const WORKER_YOUNG_GENERATION_MB = 8;
/** Bytes read at the start of the file to find the header line. */
const HEAD_BYTES = 64 * 1024;
/** Bytes read at the middle of the file to find a cut. */
const WINDOW_BYTES = 1024 * 1024;

/** Where a file is cut, and its two parts. */
export interface SplitPlan {
  /** Line starting at the cut. */
  readonly line: number;
  readonly first: FilePart;
  readonly second: FilePart;
}

/**
 * Where to cut the landed file, or undefined when it is not one to split: smaller than
 * `SPLIT_MIN_BYTES`, named as another format than CSV, gzipped, a header with quotes (it may span lines),
 * no header newline in the first 64 KiB, or no cut in the 1 MiB after the middle: a newline between two
 * lines that are not blank and hold no quote.
 */
export async function planSplit(
  store: FsObjectStore,
  version: SourceVersion,
): Promise<SplitPlan | undefined> {
  if (version.size < SPLIT_MIN_BYTES) return undefined;
  const format = formatFromFileName(version.key);
  if (format !== undefined && format !== 'csv') return undefined;
  const head = await readRange(store, version, 0, HEAD_BYTES);
  if (head[0] === 0x1f && head[1] === 0x8b) return undefined;
  let pos = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (pos < head.length && isBlankByte(head[pos]!)) pos++;
  const headerNewline = head.indexOf(0x0a, pos);
  if (headerNewline < 0 || head.subarray(pos, headerNewline).includes(0x22)) return undefined;
  const headerEnd = headerNewline + 1;

  const middle = Math.floor(version.size / 2);
  const window = await readRange(store, version, middle, middle + WINDOW_BYTES);
  let cut = -1;
  let before = window.indexOf(0x0a);
  let at = before < 0 ? -1 : window.indexOf(0x0a, before + 1);
  while (at >= 0) {
    const after = window.indexOf(0x0a, at + 1);
    if (after < 0) break;
    if (isRecordLine(window, before + 1, at) && isRecordLine(window, at + 1, after)) {
      cut = middle + at + 1;
      break;
    }
    before = at;
    at = after;
  }
  if (cut < 0) return undefined;
  const line = 1 + (await countNewlines(store, version, cut));
  return {
    line,
    first: { start: 0, end: cut, headerEnd: 0, firstLine: 1 },
    // The header's bytes come first; lines then count on from the header's own numbers to the cut's.
    second: {
      start: cut,
      end: version.size,
      headerEnd,
      firstLine: line - countIn(head.subarray(0, headerEnd), 0x0a),
    },
  };
}

/** Space, tab, CR, LF: what `String#trim` removes of a line of ASCII. */
function isBlankByte(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a;
}

/** A line `[from, to)` (without its newline) that is not blank and holds no quote. */
function isRecordLine(bytes: Uint8Array, from: number, to: number): boolean {
  let blank = true;
  for (let i = from; i < to; i++) {
    const byte = bytes[i]!;
    if (byte === 0x22) return false;
    if (!isBlankByte(byte)) blank = false;
  }
  return !blank;
}

function countIn(bytes: Uint8Array, byte: number): number {
  let count = 0;
  for (let i = bytes.indexOf(byte); i >= 0; i = bytes.indexOf(byte, i + 1)) count++;
  return count;
}

async function readRange(store: FsObjectStore, version: SourceVersion, start: number, end: number) {
  const stream = await store.get(version.key, {
    ifMatch: version.etag,
    range: { start, end: Math.min(end, version.size) },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Newlines in the bytes before `end` (25-35 ms for 50 MB). */
async function countNewlines(store: FsObjectStore, version: SourceVersion, end: number): Promise<number> {
  const stream = await store.get(version.key, { ifMatch: version.etag, range: { start: 0, end } });
  let count = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) count += countIn(chunk, 0x0a);
  return count;
}

/** What the worker is given. */
export interface SplitWorkerData {
  readonly landingRoot: string;
  /** The landing store's fingerprint of the file, so that the worker does not hash it again. */
  readonly etag?: CachedEtag;
  readonly version: {
    readonly key: string;
    readonly etag: string;
    readonly size: number;
    readonly landedAt: number;
  };
  readonly contract: DatasetContract;
  readonly part: FilePart;
  readonly ingestedAt: number;
  readonly stagingDir: string;
  readonly stem: string;
  readonly tmpDir?: string;
  readonly rowGroupSize?: number;
  readonly rowGroupBytes?: number;
}

/** Messages of the worker. */
export type FromSplitWorker =
  | { readonly type: 'progress'; readonly bytes: number; readonly rows: number }
  | { readonly type: 'done'; readonly pass: MainPass }
  | {
      readonly type: 'failed';
      readonly unreadable?: string;
      readonly message: string;
      readonly stack?: string;
    };

/** The worker failed (a store error, a bug): the file is ingested again in one thread. */
export class SplitWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitWorkerError';
  }
}

/**
 * The worker's script: the built one beside the compiled CLI, or the TypeScript source through tsx (a
 * worker's `--import` hooks do not reach its entry, so tsx is registered before the entry is imported).
 */
function workerScript(): { script: string | URL; eval: boolean } | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./split-worker.ts', here).href;
    return {
      script: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`,
      eval: true,
    };
  }
  const built = join(packageRoot(here, 1), 'dist', 'split-worker.mjs');
  return existsSync(built) ? { script: pathToFileURL(built), eval: false } : undefined;
}

/**
 * The worker thread ingesting the second part. It starts (loads its code) while this thread makes the
 * key pass, and begins its main pass with what that pass found (`begin`).
 */
export class SplitWorker {
  /** Bytes and rows of the second part read so far (its header's bytes not counted). */
  readonly progress = { bytes: 0, rows: 0 };
  /** Called when `progress` moves. */
  onProgress: (() => void) | undefined;
  private readonly finished: Promise<MainPass>;
  private stopped = false;

  private constructor(
    private readonly worker: Worker,
    headerBytes: number,
  ) {
    let onDone!: (pass: MainPass) => void;
    let onFailed!: (error: unknown) => void;
    this.finished = new Promise<MainPass>((resolve, reject) => {
      onDone = resolve;
      onFailed = reject;
    });
    // Nobody waits for it when this thread's own part fails first.
    this.finished.catch(() => undefined);
    worker.on('message', (message: FromSplitWorker) => {
      if (message.type === 'progress') {
        this.progress.bytes = Math.max(0, message.bytes - headerBytes);
        this.progress.rows = message.rows;
        this.onProgress?.();
      } else if (message.type === 'done') onDone(message.pass);
      else {
        const error = new SplitWorkerError(message.message);
        if (message.stack) error.stack = message.stack;
        onFailed(error);
      }
    });
    worker.on('error', (error) => onFailed(error));
    worker.on('exit', (code) => {
      if (!this.stopped) onFailed(new SplitWorkerError(`the split ingest's worker exited (code ${code})`));
    });
  }

  /**
   * Starts the worker on `data.part`; undefined when no worker script is at hand (a Lambda bundle) or
   * the contract cannot be copied to it.
   */
  static start(data: SplitWorkerData): SplitWorker | undefined {
    const script = workerScript();
    if (!script) return undefined;
    let worker: Worker;
    try {
      worker = new Worker(script.script, {
        workerData: data,
        eval: script.eval,
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
    } catch (error) {
      // A contract given in code that cannot be copied to a thread (a function in it): one thread.
      if (error instanceof DOMException && error.name === 'DataCloneError') return undefined;
      throw error;
    }
    return new SplitWorker(worker, data.part.headerEnd);
  }

  /** Lets the worker's main pass begin, with the key pass's findings; resolves with what it staged. */
  begin(keys: LastOccurrenceIndex): Promise<MainPass> {
    this.worker.postMessage(keys.held());
    return this.finished;
  }

  /** Ends the worker, wherever it is; its staged parts are left for the caller's staging folder to go. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.worker.terminate();
  }
}
