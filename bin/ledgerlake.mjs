#!/usr/bin/env node
// The `ledgerlake` command. It runs the compiled CLI (dist/cli.mjs, built by `npm ci` / `npm run build`)
// in this process, and falls back to the TypeScript sources through tsx when dist/ is missing or older
// than them (a checkout edited since its last build), so `npx ledgerlake` always runs the current code.
//
// Ingest keeps about 60 MB live whatever the file size, but V8 sizes its heap from the machine's memory
// and lets garbage pile up far beyond that on a big machine. The commands that ingest (`ingest`, `demo`)
// therefore run with a fixed heap budget (LEDGERLAKE_HEAP_MB, default 160; measured: peak RSS 192 MB at
// 1M rows, 206 MB at 4M): V8 takes it only at start, so they start a second Node process with it. Every
// other command runs in this one.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli.mjs');

/** Newest modification time of what the CLI is compiled from: its TypeScript and the built-in contracts. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|ya?ml|json)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of ['src', 'datasets']) if (existsSync(join(root, dir))) walk(join(root, dir));
  return newest;
}

async function runHere() {
  if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestSource()) {
    await import(pathToFileURL(compiled).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli/main.ts');
  }
}

const heapFlag = `--max-old-space-size=${process.env.LEDGERLAKE_HEAP_MB ?? '160'}`;
// A young generation of 16 MB halves the scavenges that per-field strings cause while parsing (measured:
// ingest of 1M rows 12.9 s -> 10.7 s, same peak RSS).
const semiSpaceFlag = `--max-semi-space-size=${process.env.LEDGERLAKE_SEMI_SPACE_MB ?? '16'}`;
const hasHeapFlag = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) =>
  arg.startsWith('--max-old-space-size'),
);
// The command is the first word that is neither an option nor the folder of a leading `--contracts DIR`.
const args = process.argv.slice(2);
const command = args.find((arg, i) => !arg.startsWith('-') && args[i - 1] !== '--contracts');
const ingests = command === 'ingest' || command === 'demo';

if (hasHeapFlag || !ingests) {
  await runHere();
} else {
  const result = spawnSync(
    process.execPath,
    [heapFlag, semiSpaceFlag, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exitCode = result.status ?? 1;
}
