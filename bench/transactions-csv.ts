/**
 * The benchmarks' transactions CSV: deterministic, 30 days, quoted cities, mostly successful rows.
 * Written once per size under bench/out/ and reused.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const OUT = resolve('bench/out');
const CHANNELS = ['credit_card', 'debit_card', 'upi', 'net_banking'];
const CITIES = [
  'New York',
  'Chicago',
  'Austin',
  'Seattle',
  'Denver',
  'Boston',
  'Miami',
  '"Washington, D.C."',
];
const TYPES = ['deposit', 'deposit', 'payment', 'withdrawal', 'refund', 'fee'];
const STATUSES = [
  'success',
  'success',
  'success',
  'success',
  'success',
  'success',
  'success',
  'success',
  'failed',
  'pending',
];

/** Writes a deterministic transactions CSV of `rows` rows over 30 days; returns its path. */
export async function generateCsv(rows: number): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, `transactions-${rows}.csv`);
  if (existsSync(path)) return path;
  const out = createWriteStream(path);
  out.write(
    'transaction_id,event_time,customer_id,account_id,channel,city,type,amount,currency,status,processing_time_s\n',
  );
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const start = Date.UTC(2024, 0, 1);
  const span = 30 * 86_400_000;
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const time = new Date(start + Math.floor((i / rows) * span)).toISOString();
    const customer = `C${String(1 + Math.floor(random() * 5000)).padStart(5, '0')}`;
    const amount = (1 + random() * 1500).toFixed(2);
    chunk +=
      `T${String(i).padStart(9, '0')},${time},${customer},${customer},${CHANNELS[i % 4]},` +
      `${CITIES[Math.floor(random() * CITIES.length)]},${TYPES[Math.floor(random() * TYPES.length)]},${amount},USD,` +
      `${STATUSES[Math.floor(random() * STATUSES.length)]},${(random() * 5).toFixed(3)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return path;
}
