/**
 * The worker thread of a split ingest (src/ingest/split-ingest.ts): once the main thread's key pass over
 * the whole file has ended, the main pass over the second part. Built to dist/split-worker.mjs.
 */
import type { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { compileContract } from '../contract/compile';
import { FsObjectStore } from '../storage/fs-store';
import { type HeldKeys, LastOccurrenceIndex } from './last-occurrence';
import { mainPass, type PassSource } from './row-passes';
import type { FromSplitWorker, SplitWorkerData } from './split-ingest';

/** Progress is sent every this many batches. */
const PROGRESS_BATCHES = 16;

const data = workerData as SplitWorkerData;
const port = parentPort!;
const post = (message: FromSplitWorker) => port.postMessage(message);
/** The main thread's key pass over the whole file: this part's rows are superseded as it says. */
const keys = new Promise<HeldKeys>((resolve) => port.once('message', resolve));
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
  const lastOccurrence = LastOccurrenceIndex.fromHeld(await keys);
  let batches = 0;
  const pass = await mainPass(source, {
    lastOccurrence,
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
  post({ type: 'failed', message: failure.message, stack: failure.stack });
} finally {
  for (const stream of streams) stream.destroy();
}
