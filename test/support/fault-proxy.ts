import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does with one request. */
export type Fault =
  /** Forward it to the server and its response back. */
  | 'pass'
  /** Answer 503 SlowDown, as S3 does when throttling; the server never sees the request. */
  | 'slow-down'
  /** Destroy the client's connection before answering. */
  | 'reset'
  /** Forward it, then destroy the connection half-way through the response body. */
  | 'reset-mid-body'
  /** Never answer (the connection stays open until the client gives up or the proxy closes). */
  | 'stall'
  /** Forward it, send half of the response body, then nothing more (the connection stays open). */
  | 'stall-mid-body';

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  readonly method: string;
  /** Path after the bucket, e.g. `curated/transactions/dt=2024-01-01/x.parquet`; query string removed. */
  readonly key: string;
  readonly bucket: string;
  readonly query: string;
  /** 1-based number of this request among all the proxy saw. */
  readonly n: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: point an S3 client here (path-style). */
  readonly endpoint: string;
  /** Decides each request's fate; replace it between phases of a test. */
  plan: (request: ProxiedRequest) => Fault;
  /** Every request seen, with what was done to it. */
  readonly log: { readonly request: ProxiedRequest; readonly fault: Fault }[];
  close(): Promise<void>;
}

const SLOW_DOWN_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

/**
 * A fault-injecting HTTP proxy in front of an S3-compatible test server on 127.0.0.1: each request
 * passes, or gets S3's throttling answer, a reset connection, a response cut short, or no answer at
 * all, as `plan` decides. Faults happen on the wire, so the SDK's own timeouts and retries are what is
 * tested.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const log: FaultProxy['log'] = [];
  let n = 0;
  const proxy: FaultProxy = {
    endpoint: '',
    plan: () => 'pass',
    log,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const request: ProxiedRequest = {
      method: req.method ?? 'GET',
      bucket,
      key: decodeURIComponent(rest.join('/')),
      query: url.search,
      n: ++n,
    };
    const fault = proxy.plan(request);
    log.push({ request, fault });
    switch (fault) {
      case 'slow-down':
        req.resume();
        res.writeHead(503, {
          'content-type': 'application/xml',
          'content-length': Buffer.byteLength(SLOW_DOWN_XML),
        });
        res.end(SLOW_DOWN_XML);
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'stall':
        req.resume();
        return;
      default:
        forward(req, fault === 'reset-mid-body' || fault === 'stall-mid-body' ? fault : undefined, res);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function forward(
    req: IncomingMessage,
    cut: 'reset-mid-body' | 'stall-mid-body' | undefined,
    res: import('node:http').ServerResponse,
  ): void {
    const upstreamRequest = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (upstreamResponse) => {
        res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        if (!cut) {
          upstreamResponse.pipe(res);
          return;
        }
        // Half the body, then the connection goes away.
        let remaining = Math.floor(Number(upstreamResponse.headers['content-length'] ?? 0) / 2);
        upstreamResponse.on('data', (chunk: Buffer) => {
          if (remaining <= 0) return;
          const part = chunk.subarray(0, remaining);
          remaining -= part.length;
          res.write(part);
          if (remaining <= 0) {
            upstreamResponse.destroy();
            if (cut === 'reset-mid-body') res.socket?.destroy();
          }
        });
        upstreamResponse.on('end', () => {
          if (cut === 'reset-mid-body') res.socket?.destroy();
        });
      },
    );
    upstreamRequest.on('error', () => res.socket?.destroy());
    req.pipe(upstreamRequest);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  (proxy as { endpoint: string }).endpoint = `http://127.0.0.1:${port}`;
  return proxy;
}

/** A seeded pseudo-random number generator (mulberry32): the same seed gives the same faults. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
