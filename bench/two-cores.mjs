/**
 * How much two threads gain on this machine, for the two kinds of work an ingest is made of:
 * `npm run bench:two-cores`. Runs a pure CPU loop and a loop of random reads from a 32 MB array, each
 * in one worker thread and then in two at once, and prints the time per thread. Where the random reads
 * slow down with both threads running (a shared cache and memory bus), memory-bound work such as an
 * ingest cannot gain 2x from a second thread (README, Performance: two threads).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const WORDS = 8 << 20; // 32 MB of Int32

function cpu() {
  let x = 0;
  for (let i = 0; i < 4e8; i++) x = (x * 31 + i) | 0;
  return x;
}

function memory() {
  const words = new Int32Array(WORDS);
  let x = 0;
  for (let i = 0; i < 1e8; i++) x += words[Math.imul(i, 2654435761) & (WORDS - 1)];
  return x;
}

if (!isMainThread) {
  const started = performance.now();
  (workerData === 'cpu' ? cpu : memory)();
  parentPort.postMessage(performance.now() - started);
} else {
  const run = (kind) =>
    new Promise((resolve, reject) =>
      new Worker(new URL(import.meta.url), { workerData: kind }).on('message', resolve).on('error', reject),
    );
  for (const kind of ['cpu', 'memory']) {
    const one = await run(kind);
    const two = await Promise.all([run(kind), run(kind)]);
    const slowdown = Math.max(...two) / one;
    console.log(
      `${kind.padEnd(6)} one thread ${one.toFixed(0)} ms; two at once ${two.map((t) => t.toFixed(0)).join(' and ')} ms each: ${slowdown.toFixed(2)}x slower per thread`,
    );
  }
}
