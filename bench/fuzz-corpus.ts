/**
 * Peak memory and time of each kind of the fuzz corpus (scripts/fuzz-corpus.ts), each ingested by
 * the shipped binary in a process of its own, as a user would: prints one line per kind and the
 * largest peak.
 *
 *   npm run bench:fuzz            every kind
 *   npm run bench:fuzz -- bomb    only the kinds whose file name contains "bomb"
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { corpusFiles, writeCorpus } from '../scripts/fuzz-corpus';

const run = promisify(execFile);
const CLI = resolve('bin/ledgerlake.mjs');
const PEAK_RSS = resolve('test/support/peak-rss.cjs');
const filter = process.argv[2];

const work = await mkdtemp(join(tmpdir(), 'll-bench-fuzz-'));
try {
  const files = corpusFiles().filter((f) => filter === undefined || f.entry.file.includes(filter));
  await writeCorpus(join(work, 'corpus'), files);
  console.log('exit  peak RSS    seconds  verdict      kind');
  let peak = 0;
  for (const [i, { entry }] of files.entries()) {
    const rssFile = join(work, `rss-${i}.jsonl`);
    const started = performance.now();
    let code = 0;
    try {
      await run(
        process.execPath,
        [CLI, 'ingest', join('corpus', entry.file), '--dataset', 'transactions', '--lake', `lake-${i}`],
        {
          cwd: work,
          env: { ...process.env, NODE_OPTIONS: `--require ${PEAK_RSS}`, LEDGERLAKE_PEAK_RSS_FILE: rssFile },
          maxBuffer: 16 * 1024 * 1024,
        },
      );
    } catch (error) {
      code = (error as { code?: number }).code ?? -1;
    }
    const seconds = (performance.now() - started) / 1000;
    const rss = Math.max(
      ...(await readFile(rssFile, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { maxRssMiB: number }).maxRssMiB),
    );
    peak = Math.max(peak, rss);
    console.log(
      `${String(code).padStart(4)}  ${rss.toFixed(0).padStart(5)} MiB  ${seconds.toFixed(2).padStart(7)}  ${entry.expect.verdict.padEnd(11)}  ${entry.kind}`,
    );
    await rm(join(work, `lake-${i}`), { recursive: true, force: true });
  }
  console.log(`${files.length} kinds; largest peak RSS ${peak.toFixed(0)} MiB`);
} finally {
  await rm(work, { recursive: true, force: true });
}
