// Compiles the CLI to plain JavaScript (dist/cli.mjs plus lazily loaded chunks), so a command starts
// without a TypeScript compiler: `ledgerlake --help` went from 1.35 s (tsx, two processes) to about
// 0.3 s, its built-in contracts compiled in. Dependencies stay in node_modules (packages: external). Run by `npm ci` / `npm install`
// (prepare) and before the tests (vitest globalSetup); bin/ledgerlake.mjs falls back to tsx when
// dist/ is missing or older than the sources.
import { renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');

export async function buildCli() {
  // Built beside dist/ and swapped in, so a CLI already running from dist/ never sees it half written.
  const staging = `${outdir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  // The built-in contracts, read and checked once here rather than at every start of the CLI.
  const { tsImport } = await import('tsx/esm/api');
  const registry = await tsImport('../datasets/registry.ts', import.meta.url);
  const files = await tsImport('../src/contract/contract-file.ts', import.meta.url);
  const builtIn = registry.serializeContracts(files.loadContractFolder(registry.BUILT_IN_CONTRACTS_DIR));
  await build({
    define: { LEDGERLAKE_BUILT_IN_CONTRACTS: JSON.stringify(builtIn) },
    entryPoints: {
      cli: join(root, 'src', 'cli', 'main.ts'),
      // The worker thread of a split ingest (src/ingest/split-ingest.ts).
      'split-worker': join(root, 'src', 'ingest', 'split-worker.ts'),
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    // Dynamic imports (the Athena engine, the AWS SDK) stay separate chunks, loaded only when used.
    splitting: true,
    outdir: staging,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: true,
    logLevel: 'warning',
  });
  rmSync(outdir, { recursive: true, force: true });
  renameSync(staging, outdir);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildCli();
