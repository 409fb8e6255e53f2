/**
 * A real S3-compatible server for tests: s3rver 3.7.1 on 127.0.0.1, a free port, a fresh temp folder,
 * in a child process of its own.
 *
 * ```ts
 * let s3: S3TestServer;
 * beforeAll(async () => { s3 = await startS3Server({ buckets: ['lake'] }); });
 * afterAll(() => s3.stop());
 * // s3.client is an S3Client set up for the server; s3.endpoint is its URL
 * ```
 *
 * What differs from S3 and how this helper covers it:
 * - s3rver stores a streamed body with its aws-chunked framing when the SDK sends its default
 *   checksums, so `createS3TestClient` sets `requestChecksumCalculation` and
 *   `responseChecksumValidation` to `WHEN_REQUIRED`. Production clients keep the SDK defaults.
 * - s3rver ignores `If-None-Match: *` on PutObject (it overwrites). With `conditionalWrites` (on by
 *   default) the helper answers such a PUT itself, like S3, with 412 PreconditionFailed when the key
 *   exists, and serialises conditional PUTs per key so concurrent ones see each other.
 * - s3rver ignores `If-Match` on GetObject (it streams whatever is stored). The helper answers a GET
 *   whose `If-Match` names another version itself, like S3, with 412 PreconditionFailed.
 * - s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) only has in
 *   its legacy provider: any truncated listing fails with InternalError in a normal Node process. The
 *   server therefore runs in a child `node --openssl-legacy-provider` (plain JavaScript, 0.4-0.9 s
 *   to start), which also keeps its event loop apart from the test's.
 * - S3 lists keys in UTF-8 binary order; s3rver lists them in the order its folders are read from
 *   disk, and so drops keys across ListObjectsV2 pages. The helper gives s3rver a sorted folder walk.
 * - Every request the server receives is recorded (method, path, query, headers): `receivedRequests()`
 *   returns them, so a test can assert what went over the wire.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

/** One request as the server received it. */
export interface ReceivedRequest {
  readonly method: string;
  /** Bucket and key, decoded: `/lake/landing/a b.csv`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

export interface StartS3ServerOptions {
  /**
   * Buckets created before the server accepts requests.
   * @default ['test-bucket']
   */
  readonly buckets?: readonly string[];
  /**
   * Answer PutObject with `If-None-Match: *` like S3 does (412 when the key exists).
   * @default true
   */
  readonly conditionalWrites?: boolean;
  /**
   * How long to wait for the server to listen before failing.
   * @default 15 seconds
   */
  readonly startTimeoutMs?: number;
}

export interface S3TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** A client for this server (path style, dummy credentials, checksums only when required). */
  readonly client: S3Client;
  /** The buckets that were created. */
  readonly buckets: readonly string[];
  /** Temp folder holding the server's data; removed by `stop`. */
  readonly directory: string;
  /** A further client for this server (e.g. to add middleware); `stop` destroys it too. */
  createClient(): S3Client;
  /** Requests the server received since it started or since the last `clearReceivedRequests`. */
  receivedRequests(): Promise<ReceivedRequest[]>;
  clearReceivedRequests(): Promise<void>;
  /** Closes the clients made here, stops the server process and removes the temp folder. */
  stop(): Promise<void>;
}

/**
 * An S3Client for a test server: dummy credentials and region, path-style addressing, and checksums
 * only where S3 requires them (s3rver cannot store aws-chunked bodies), and no retries.
 */
export function createS3TestClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1, // fail at once: a local server has no throttling to retry, and request counts stay exact
  });
}

/** Raised when the s3rver child process does not come up. */
export class S3TestServerStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'S3TestServerStartError';
  }
}

/** Starts s3rver on 127.0.0.1 on a free port; resolves once it listens and the buckets exist. */
export async function startS3Server(options: StartS3ServerOptions = {}): Promise<S3TestServer> {
  const buckets = [...(options.buckets ?? ['test-bucket'])];
  const directory = await mkdtemp(join(tmpdir(), 'ledgerlake-s3rver-'));
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--no-deprecation', '--no-warnings', '-e', S3RVER_CHILD_SOURCE],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        S3RVER_MODULE: createRequire(import.meta.url).resolve('s3rver'),
        S3RVER_CONFIG: JSON.stringify({
          directory,
          buckets,
          conditionalWrites: options.conditionalWrites ?? true,
        }),
      },
    },
  );
  const ipc = new ChildChannel(child);
  let port: number;
  try {
    port = await ipc.waitForListening(options.startTimeoutMs ?? 15_000);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(directory, { recursive: true, force: true });
    throw error;
  }

  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  const createClient = (): S3Client => {
    const client = createS3TestClient(endpoint);
    clients.push(client);
    return client;
  };
  return {
    endpoint,
    client: createClient(),
    buckets,
    directory,
    createClient,
    async receivedRequests() {
      const records = (await ipc.ask('requests')) as {
        method: string;
        url: string;
        headers: IncomingHttpHeaders;
      }[];
      return records.map((record) => {
        const url = new URL(record.url, endpoint);
        return {
          method: record.method,
          path: decodeURIComponent(url.pathname),
          query: url.searchParams,
          headers: record.headers,
        };
      });
    },
    async clearReceivedRequests() {
      await ipc.ask('clear');
    },
    async stop() {
      for (const client of clients) client.destroy();
      await ipc.stop(5_000);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Request/reply over the child's IPC channel; replies come back in the order asked. */
class ChildChannel {
  private readonly pending: ((payload: unknown) => void)[] = [];
  private readonly exited: Promise<number | null>;
  private listening: ((port: number) => void) | undefined;

  constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.on('message', (message: { type: string; port?: number; payload?: unknown }) => {
      if (message.type === 'listening' && message.port !== undefined) this.listening?.(message.port);
      if (message.type === 'reply') this.pending.shift()?.(message.payload);
    });
  }

  waitForListening(timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new S3TestServerStartError(`s3rver did not listen within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.listening = (port) => {
        clearTimeout(timer);
        resolve(port);
      };
      this.child.once('error', (error) => {
        clearTimeout(timer);
        reject(new S3TestServerStartError('could not start the s3rver process', { cause: error }));
      });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new S3TestServerStartError(`s3rver exited with code ${code} before listening (see stderr)`));
      });
    });
  }

  ask(type: 'requests' | 'clear'): Promise<unknown> {
    return new Promise((resolve) => {
      this.pending.push(resolve);
      this.child.send({ type });
    });
  }

  async stop(timeoutMs: number): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The server process, plain CommonJS so it starts without a TypeScript loader. It records each
 * request before s3rver sees it (so a reply to `requests` includes every request already answered),
 * emulates S3's conditional create (`If-None-Match: *` on PutObject: 412 when the key exists; such
 * PUTs to one key are handled one at a time) and conditional read (`If-Match` on GetObject: 412 when
 * the ETag differs), and exits when the test process goes away.
 */
const S3RVER_CHILD_SOURCE = String.raw`
'use strict';
const fs = require('fs');
const path = require('path');

// S3 lists keys in UTF-8 binary order; s3rver walks its folders in readdir order (hash order on
// ext4), so it lists out of order and loses keys across pages. Its store takes walk() from utils when
// it is first required, so replacing walk() here, before s3rver loads, gives it a sorted walk.
const utils = require(path.join(path.dirname(process.env.S3RVER_MODULE), 'utils.js'));
utils.walk = function* sortedWalk(dir, recurseFilter) {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).map((entry) => ({
    entry,
    // An object a/b is stored as folder a, file b._S3rver_object: sort folders as 'a/' and files as 'b'.
    sortKey: Buffer.from(entry.isDirectory() ? entry.name + '/' : entry.name.split('._S3rver_')[0]),
  }));
  entries.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
  for (const { entry } of entries) {
    const entryPath = path.posix.join(dir, entry.name);
    if (!entry.isDirectory()) yield entryPath;
    else if (!recurseFilter || recurseFilter(entryPath)) yield* sortedWalk(entryPath, recurseFilter);
  }
};

const S3rver = require(process.env.S3RVER_MODULE);
const { directory, buckets, conditionalWrites } = JSON.parse(process.env.S3RVER_CONFIG);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name })),
});
let requests = [];
const tails = new Map();

function preconditionFailed(response, key, condition = 'If-None-Match') {
  const escaped = key.replace(/[<>&'"]/g, (char) => '&#' + char.charCodeAt(0) + ';');
  response.statusCode = 412;
  response.setHeader('Content-Type', 'application/xml');
  response.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
    '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
    '<Condition>' + condition + '</Condition><Key>' + escaped + '</Key></Error>');
}

// GetObject with If-Match: 412 unless the stored ETag is the one named (quotes ignored on both sides).
function handleGetIfMatch(request, response, url, forward) {
  const [, bucket = '', ...keyParts] = decodeURIComponent(url.pathname).split('/');
  const key = keyParts.join('/');
  const unquote = (etag) => String(etag).replace(/^"|"$/g, '');
  server.store.getMetadata(bucket, key)
    .then((metadata) => unquote(metadata.etag) === unquote(request.headers['if-match'])
      ? forward()
      : preconditionFailed(response, key, 'If-Match'))
    .catch((error) => {
      if (error.code === 'ENOENT') return forward();
      response.statusCode = 500;
      response.end(String(error));
    });
}

function handleConditionalPut(request, response, url, forward) {
  const [, bucket = '', ...keyParts] = decodeURIComponent(url.pathname).split('/');
  const key = keyParts.join('/');
  const id = bucket + '/' + key;
  const previous = tails.get(id) || Promise.resolve();
  let release;
  const done = new Promise((resolve) => { release = resolve; });
  const tail = previous.then(() => done);
  tails.set(id, tail);
  response.once('close', () => {
    release();
    if (tails.get(id) === tail) tails.delete(id);
  });
  previous
    .then(() => server.store.existsObject(bucket, key))
    .then((exists) => (exists ? preconditionFailed(response, key) : forward()))
    .catch((error) => { response.statusCode = 500; response.end(String(error)); });
}

server.run().then((address) => {
  const httpServer = server.httpServer;
  const handleWithS3rver = httpServer.listeners('request')[0];
  httpServer.removeAllListeners('request');
  httpServer.on('request', (request, response) => {
    requests.push({ method: request.method, url: request.url, headers: request.headers });
    const url = new URL(request.url, 'http://127.0.0.1');
    const forward = () => handleWithS3rver(request, response);
    const isConditionalPut = conditionalWrites && request.method === 'PUT' &&
      request.headers['if-none-match'] === '*' && !url.searchParams.has('partNumber') &&
      request.headers['x-amz-copy-source'] === undefined;
    if (isConditionalPut) handleConditionalPut(request, response, url, forward);
    else if (request.method === 'GET' && request.headers['if-match'] !== undefined) {
      handleGetIfMatch(request, response, url, forward);
    } else forward();
  });
  process.send({ type: 'listening', port: address.port });
}, (error) => {
  console.error('s3rver failed to start:', error);
  process.exit(1);
});

process.on('message', (message) => {
  if (message.type === 'requests') process.send({ type: 'reply', payload: requests });
  if (message.type === 'clear') { requests = []; process.send({ type: 'reply', payload: null }); }
  if (message.type === 'stop') {
    // Keep-alive sockets would hold close() open until they time out.
    server.httpServer.closeAllConnections();
    server.close().then(() => process.exit(0), () => process.exit(1));
  }
});
// The test process went away (crash, timeout): do not outlive it.
process.on('disconnect', () => process.exit(0));
`;
