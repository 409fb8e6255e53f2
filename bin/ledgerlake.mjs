#!/usr/bin/env node
// The `ledgerlake` command. It runs the compiled CLI (dist/cli.mjs, built by `npm ci` / `npm run build`)
// in this process, and falls back to the TypeScript sources through tsx when dist/ is missing or older
// than them (a checkout edited since its last build), so `npx ledgerlake` always runs the current code.
//
// Every command runs in this one process. Ingest used to restart Node with a fixed heap budget
// (--max-old-space-size=160). Without it, ingest is faster (fewer full collections) and its peak RSS
// stays under 300 MB (measured at the time, 1M -> 4M rows: 229 -> 246-275 MB, against 166-176 ->
// 181-194 MB with a budget of 64-160 MB; since ingest buffers rows off the heap, 155-165 -> 149-161
// MB without one, and 239-245 -> 237-252 MB with a large CSV split over two threads;
// `npm run bench:cli-ingest`), so the second process is gone.
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

await runHere();
