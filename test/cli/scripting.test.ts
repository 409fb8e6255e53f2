import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, runCliWith } from '../support/shipped-cli';

const exec = promisify(execFile);

const cli = runCli;

describe('the shipped binary in scripts: exit codes, one error prefix, big results', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'll-scripting-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 on a usage mistake of a subcommand, with the ledgerlake: prefix', async () => {
    const { code, stdout, stderr } = await cli(dir, 'query', '--nope', 'select 1', '--lake', '.');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe("ledgerlake: unknown option '--nope'");
  });

  it('exits 1 on a query the engine refuses, with the same prefix', async () => {
    const { code, stderr } = await cli(dir, 'query', 'select nope from missing_table', '--lake', '.');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^ledgerlake: query failed: Catalog Error: .*missing_table/);
  });

  it('keeps decimals and integers beyond 2^53 exact in --json, as strings', async () => {
    const { code, stdout } = await cli(
      dir,
      'query',
      "select cast('12345678901234567.89' as decimal(38, 2)) as amount, cast('9007199254740993' as bigint) as big, cast(3 as bigint) as small, cast('0.10' as decimal(18, 2)) as dime",
      '--lake',
      '.',
      '--json',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      { amount: '12345678901234567.89', big: '9007199254740993', small: 3, dime: '0.10' },
    ]);
    // Negative control: through a double the same values would have lost their last digits.
    expect(String(Number('12345678901234567.89'))).not.toBe('12345678901234567.89');
    expect(String(Number('9007199254740993'))).not.toBe('9007199254740993');
  });

  it('writes CSV with a header, quoting what needs it, and stops after --limit rows', async () => {
    const { code, stdout } = await cli(
      dir,
      'query',
      `select * from (values (1, 'plain', cast('1.50' as decimal(18, 2))), (2, 'a, "quoted"\nline', null), (3, 'x', 2.25)) as t (id, note, amount) order by id`,
      '--lake',
      '.',
      '--format',
      'csv',
      '--limit',
      '2',
    );
    expect(code).toBe(0);
    expect(stdout).toBe('id,note,amount\n1,plain,1.50\n2,"a, ""quoted""\nline",\n');
  });

  it('refuses an unknown --format and a --limit that is not a positive number, with exit 2', async () => {
    const format = await cli(dir, 'query', 'select 1', '--lake', '.', '--format', 'xml');
    expect(format.code).toBe(2);
    expect(format.stderr.split('\n')[0]).toMatch(
      /^ledgerlake: option '--format <format>' argument 'xml' is invalid/,
    );
    const limit = await cli(dir, 'query', 'select 1', '--lake', '.', '--limit', '0');
    expect(limit.code).toBe(2);
    expect(limit.stderr.split('\n')[0]).toBe("ledgerlake: --limit must be a positive whole number, got '0'");
  });

  /** Runs `query ... --json` on `rows` rows into a file; its text and the CLI's peak RSS (MiB). */
  async function bigJson(rows: number): Promise<{ text: string; peakMiB: number }> {
    const out = join(dir, `big-${rows}.json`);
    const rssFile = join(dir, `rss-${rows}.jsonl`);
    const code = await new Promise<number>((done, fail) => {
      const child = spawn(
        process.execPath,
        [
          CLI,
          'query',
          `select range as n, repeat('x', 40) as pad from range(${rows})`,
          '--lake',
          '.',
          '--json',
        ],
        {
          cwd: dir,
          env: {
            ...process.env,
            NODE_OPTIONS: `--require ${resolve('test/support/peak-rss.cjs')}`,
            LEDGERLAKE_PEAK_RSS_FILE: rssFile,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      child.stdout.pipe(createWriteStream(out));
      child.on('error', fail);
      child.on('close', (status) => done(status ?? -1));
    });
    expect(code).toBe(0);
    const peaks = (await readFile(rssFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { maxRssMiB: number }).maxRssMiB);
    return { text: await readFile(out, 'utf8'), peakMiB: Math.max(...peaks) };
  }

  it('streams JSON in memory that does not grow with the result: 300k and 1.5M rows', async () => {
    const small = await bigJson(300_000);
    const big = await bigJson(1_500_000);
    const rows = JSON.parse(big.text) as { n: number; pad: string }[];
    expect(rows).toHaveLength(1_500_000);
    expect(rows.reduce((sum, row) => sum + row.n, 0)).toBe((1_499_999 * 1_500_000) / 2); // every row, once
    expect(rows[0]).toEqual({ n: expect.any(Number), pad: 'x'.repeat(40) });
    expect(big.text).toBe(`${JSON.stringify(rows, null, 2)}\n`);
    console.log(
      `query --json: 300k rows peak RSS ${small.peakMiB.toFixed(0)} MiB, 1.5M rows (${(big.text.length / 1024 / 1024).toFixed(0)} MiB of JSON) ${big.peakMiB.toFixed(0)} MiB`,
    );
    // Five times the rows, not five times the memory (holding them would add several hundred MiB).
    expect(big.peakMiB).toBeLessThan(small.peakMiB * 1.3);
  }, 180_000);

  it('ends quietly with exit 0 when the reader stops early (| head)', async () => {
    const { stdout, stderr } = await exec(
      'bash',
      [
        '-c',
        `set -o pipefail; "${process.execPath}" "${CLI}" query "select range as n from range(5000000)" --lake . --format csv | head -2`,
      ],
      { cwd: dir, timeout: 60_000 },
    );
    expect(stdout).toMatch(/^n\n\d+\n$/);
    expect(stderr).toBe('');
  });

  it.each([
    ['ingest', [], ['ingest', 'one/transactions.csv', '--lake', 'one-lake']],
    ['demo', [], ['demo', '--lake', 'one-demo', '--days', '3']],
    [
      'query',
      ['ingest', 'one/transactions.csv', '--lake', 'one-query-lake'],
      ['query', 'select count(*) as n from transactions', '--lake', 'one-query-lake'],
    ],
  ])('runs %s in one Node process', async (_command, setup, args) => {
    // Every Node process the command starts loads this preload (NODE_OPTIONS reaches children too) and
    // records its pid: a command that restarts Node for a heap budget records two.
    const preload = join(dir, 'count-processes.cjs');
    const pids = join(dir, `pids-${_command}.txt`);
    await writeFile(
      preload,
      `require('node:fs').appendFileSync(${JSON.stringify(pids)}, process.pid + '\\n');\n`,
    );
    await mkdir(join(dir, 'one'), { recursive: true });
    await writeFile(
      join(dir, 'one', 'transactions.csv'),
      'transaction_id,event_time,customer_id,channel,type,amount,status\nT1,2024-03-01T10:00:00Z,C1,upi,deposit,10.50,success\n',
    );
    if (setup.length > 0) expect((await cli(dir, ...setup)).code).toBe(0);
    const { code, stderr } = await runCliWith(
      { cwd: dir, env: { NODE_OPTIONS: `--require ${preload}` } },
      ...args,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect((await readFile(pids, 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('tells a CLI user of a file of no known dataset to name it with --dataset', async () => {
    await mkdir(join(dir, 'wires'), { recursive: true });
    await writeFile(join(dir, 'wires', 'w.csv'), 'a,b\n1,2\n');
    const { code, stdout } = await cli(dir, 'ingest', 'wires/w.csv', '--lake', 'lake');
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^REJECTED +landing\/wires\/wires\/w\.csv +unknown dataset 'wires' \(known datasets: .*transactions.*\); name it with --dataset <name>, or keep the file in a landing\/<dataset>\/ folder$/m,
    );
  });

  it('prints ingest results as JSON with --json: each file with its manifest, skipped when seen before', async () => {
    await mkdir(join(dir, 'drop', 'transactions'), { recursive: true });
    await writeFile(
      join(dir, 'drop', 'transactions', 't.csv'),
      'transaction_id,event_time,customer_id,channel,type,amount,status\nT1,2024-03-01T10:00:00Z,C1,upi,deposit,10.50,success\nT2,2024-03-01T11:00:00Z,C1,upi,deposit,-1,success\n',
    );
    await mkdir(join(dir, 'drop', 'wires'), { recursive: true });
    await writeFile(join(dir, 'drop', 'wires', 'w.csv'), 'a,b\n1,2\n');
    const first = await cli(dir, 'ingest', 'drop', '--lake', 'json-lake', '--json');
    expect(first.code).toBe(1); // one file rejected
    const entries = JSON.parse(first.stdout) as {
      path: string;
      status: string;
      manifest: { rows_valid: number; rows_quarantined: number; source_key: string };
    }[];
    expect(
      entries.map((e) => [
        e.status,
        e.manifest.source_key,
        e.manifest.rows_valid,
        e.manifest.rows_quarantined,
      ]),
    ).toEqual([
      ['ok', 'landing/transactions/drop/transactions/t.csv', 1, 1],
      ['rejected', 'landing/wires/drop/wires/w.csv', 0, 0],
    ]);
    const again = await cli(dir, 'ingest', 'drop/transactions/t.csv', '--lake', 'json-lake', '--json');
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { status: string }[]).map((e) => e.status)).toEqual(['skipped']);
  });

  it('splits a large CSV over two threads with --threads 2, not with 1, and refuses --threads 3', async () => {
    // 34.6 MB: above the size from which a CSV is split (SPLIT_MIN_BYTES, 32 MiB).
    const rows = 400_000;
    const lines = ['transaction_id,event_time,customer_id,channel,type,amount,status,city'];
    for (let i = 0; i < rows; i++) {
      const time = new Date(Date.UTC(2024, 2, 1 + (i % 3), 0, 0, i % 86_400)).toISOString();
      lines.push(
        `T${i},${time},C${i % 50},upi,deposit,${1 + (i % 900)}.25,success,City of ${'x'.repeat(i % 30)}`,
      );
    }
    await writeFile(join(dir, 'big.csv'), `${lines.join('\n')}\n`);
    const ingestBig = (lake: string, threads: string, ...more: string[]) =>
      cli(
        dir,
        'ingest',
        'big.csv',
        '--dataset',
        'transactions',
        '--lake',
        lake,
        '--threads',
        threads,
        ...more,
      );
    const ingest = async (lake: string, threads: string) => {
      const run = await ingestBig(lake, threads, '--json');
      expect(run.code).toBe(0);
      return (
        JSON.parse(run.stdout) as { manifest: { rows_valid: number; files_written: { key: string }[] } }[]
      )[0]!.manifest;
    };
    const two = await ingest('split-lake', '2');
    const one = await ingest('one-lake', '1');
    expect([two.rows_valid, one.rows_valid]).toEqual([rows, rows]);
    const secondPart = (manifest: typeof one) =>
      manifest.files_written.filter((f) => /-p2-[^/-]+\.parquet$/.test(f.key));
    expect(secondPart(two)).toHaveLength(3);
    expect(secondPart(one)).toEqual([]);
    const query = await cli(
      dir,
      'query',
      'select count(*) as n, count(distinct transaction_id) as ids, sum(source_line) as lines from transactions',
      '--lake',
      'split-lake',
      '--json',
    );
    const lineSum = (rows * (rows + 3)) / 2; // lines 2 .. rows + 1
    expect(JSON.parse(query.stdout)).toEqual([{ n: rows, ids: rows, lines: lineSum }]);
    const refused = await ingestBig('x', '3');
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n')[0]).toMatch(
      /^ledgerlake: option '--threads <n>' argument '3' is invalid/,
    );
  });

  it('prints a table of 200,000 rows (no call-stack overflow while aligning it)', async () => {
    const { code, stdout, stderr } = await cli(
      dir,
      'query',
      'select cast(range as bigint) as n from range(200000)',
      '--lake',
      '.',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(200_000 + 3);
    expect(lines[0]).toBe('     n');
    expect(lines.at(-2)).toBe('199999');
    expect(lines.at(-1)).toBe('(200000 rows)');
  });
});
