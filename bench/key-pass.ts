/**
 * The key pass's filter, one key at a time against batches: `npm run bench:key-pass [-- --keys 1000000]`.
 *
 * Observes `--keys` distinct transaction ids lying in one text, as the key pass finds them, into a
 * `LastOccurrenceIndex` sized for them, with `observeRange` (a probe per key, whose cache miss waits
 * for the last) and with `observeRanges` in batches of 1,024 (their blocks read first, so the misses
 * overlap). Prints the median of 5 alternating runs of each and checks both give the same answers.
 */
import { parseArgs } from 'node:util';
import { LastOccurrenceIndex } from '../src/ingest/last-occurrence';
import { runCount } from './runs';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '1000000' } } });
const count = runCount(values.keys, '--keys');
const BATCH = 1024;
const ids = Array.from({ length: count }, (_, i) => `T${String(i).padStart(9, '0')}`);
const text = ids.join(',');
const from = Int32Array.from(ids, (_, i) => i * 11);
const to = Int32Array.from(ids, (_, i) => i * 11 + 10);
const lines = Int32Array.from(ids, (_, i) => i + 2);
// As ingest sizes it for a file of these keys: the number of records, half again as margin.
const expected = Math.ceil(count * 1.5);

function oneByOne(): [number, LastOccurrenceIndex] {
  const index = new LastOccurrenceIndex(expected);
  const started = performance.now();
  for (let i = 0; i < count; i++) index.observeRange(text, from[i]!, to[i]!, lines[i]!);
  return [performance.now() - started, index];
}

function batched(): [number, LastOccurrenceIndex] {
  const index = new LastOccurrenceIndex(expected);
  const started = performance.now();
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    index.observeRanges(text, from.subarray(start), to.subarray(start), lines.subarray(start), n);
  }
  return [performance.now() - started, index];
}

const times: [number[], number[]] = [[], []];
let indexes: LastOccurrenceIndex[] = [];
for (let run = 0; run < 5; run++) {
  const [a, first] = oneByOne();
  const [b, second] = batched();
  times[0].push(a);
  times[1].push(b);
  indexes = [first, second];
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const [first, second] = indexes as [LastOccurrenceIndex, LastOccurrenceIndex];
for (let i = 0; i < count; i += 997) {
  if (first.isSuperseded(ids[i]!, i + 2) !== second.isSuperseded(ids[i]!, i + 2))
    throw new Error(`the two disagree on ${ids[i]}`);
}
console.log(
  `${count.toLocaleString('en-US')} keys, filter ${(first.filterBytes / 1048576).toFixed(0)} MB, ` +
    `${first.trackedKeys} false positives held exactly (${second.trackedKeys} batched)`,
);
console.log(`  observeRange, one key at a time   ${median(times[0]).toFixed(0)} ms (median of 5)`);
console.log(`  observeRanges, batches of ${BATCH}   ${median(times[1]).toFixed(0)} ms`);
