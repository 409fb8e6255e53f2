/**
 * `ledgerlake report --serve`: the written report on a local HTTP server, for people who prefer a
 * link to a file. The page needs nothing from the server: it is the same self-contained file, served
 * as is at `/` (and under its own name); every other path is a 404. Bound to 127.0.0.1 only.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { basename } from 'node:path';

/** A running report server. */
export interface ReportServer {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Serves `file` on 127.0.0.1:`port` (0 picks a free port). The file is read on each request, so a
 * report rewritten in place is served fresh.
 */
export async function serveReport(file: string, port = 0): Promise<ReportServer> {
  const name = `/${encodeURIComponent(basename(file))}`;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split(/[?#]/)[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/' && path !== name) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${path}\n`);
      return;
    }
    readFile(file).then(
      (body) => {
        response.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-length': body.length,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      (error: NodeJS.ErrnoException) => {
        response
          .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          .end(`cannot read ${file}: ${error.code}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
