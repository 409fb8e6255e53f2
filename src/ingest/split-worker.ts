/**
 * The worker thread of a split ingest (src/ingest/split-ingest.ts): the key pass over its part, then the
 * main pass; the main thread decides whether to use it. Built to dist/split-worker.mjs.
 */
import type { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { compileContract } from '../contract/compile';
import { FsObjectStore } from '../storage/fs-store';
import { UnreadableFileError } from './formats/source-reader';
import { mainPass, type PassSource, scanKeys } from './row-passes';
import type { FromSplitWorker, SplitWorkerData } from './split-ingest';

/** Progress is sent every this many batches. */
const PROGRESS_BATCHES = 16;

const data = workerData as SplitWorkerData;
const port = parentPort!;
const post = (message: FromSplitWorker) => port.postMessage(message);
const streams: Readable[] = [];
try {
  const version = { ...data.version, landedAt: new Date(data.version.landedAt) };
  const landing = new FsObjectStore(data.landingRoot);
  if (data.etag) landing.rememberEtag(version.key, data.etag);
  const source: PassSource = {
    landing,
    version,
    compiled: compileContract(data.contract, { key: version.key, landedAt: version.landedAt }),
    part: data.part,
    tmpDir: data.tmpDir,
    streams,
  };
  const keys = await scanKeys(source);
  post({
    type: 'scanned',
    records: keys.records,
    firstLine: keys.firstLine,
    header: keys.header,
    delimiter: keys.delimiter,
    format: keys.format,
    compression: keys.compression,
  });
  let batches = 0;
  const pass = await mainPass(source, {
    lastOccurrence: keys.index,
    ingestedAt: data.ingestedAt,
    stagingDir: data.stagingDir,
    stem: data.stem,
    rowGroupSize: data.rowGroupSize,
    rowGroupBytes: data.rowGroupBytes,
    onBatch: (bytes, rows) => {
      if (++batches % PROGRESS_BATCHES === 0) post({ type: 'progress', bytes, rows });
    },
  });
  post({ type: 'done', pass });
} catch (error) {
  const failure = error instanceof Error ? error : new Error(String(error));
  post({
    type: 'failed',
    unreadable: error instanceof UnreadableFileError ? error.reason : undefined,
    message: failure.message,
    stack: failure.stack,
  });
} finally {
  for (const stream of streams) stream.destroy();
}
