import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/shipped-cli';

const cli = runCli;

const HEADER = 'transaction_id,event_time,customer_id,channel,type,amount,status,note\n';

describe('ledgerlake --version (shipped binary)', () => {
  it("prints package.json's version and exits 0", async () => {
    const { version } = JSON.parse(await readFile(join(process.cwd(), 'package.json'), 'utf8')) as {
      version: string;
    };
    const { code, stdout } = await cli(process.cwd(), '--version');
    expect({ code, stdout }).toEqual({ code: 0, stdout: `${version}\n` });
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('ledgerlake validate (shipped binary): a dry run of ingest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'll-validate-'));
    await writeFile(
      join(dir, 'transactions.csv'),
      HEADER +
        'T1,2024-06-01T10:00:00Z,C1,upi,deposit,10.00,success,a\n' +
        'T2,2024-06-01T11:00:00Z,C1,upi,deposit,-5,success,b\n' +
        'T3,2024-06-02T10:00:00Z,C1,carrier pigeon,deposit,5,success,c\n' +
        'T4,2024-06-02T12:00:00Z,C2,upi,refund,0,success,d\n',
    );
    await mkdir(join(dir, 'clean'));
    await writeFile(
      join(dir, 'clean', 'transactions.csv'),
      `${HEADER}T9,2024-06-01T10:00:00Z,C1,upi,deposit,10.00,success,z\n`,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports valid and quarantined rows, the top reasons and sample rows, exits 1, and writes nothing', async () => {
    const { code, stdout } = await cli(dir, 'validate', 'transactions.csv');

    expect(code).toBe(1);
    expect(stdout).toContain(
      'INVALID    transactions.csv  (transactions) 1 valid, 3 quarantined, 0 duplicates of 4 rows',
    );
    expect(stdout).toContain('ignored columns (no contract column takes them): note');
    expect(stdout).toMatch(/top reasons:\n\s+2 {2}amount\.range\n\s+1 {2}channel\.allowed_values/);
    expect(stdout).toContain('line 3: amount must be > 0, got -5');
    expect(stdout).toContain("line 4: channel 'carrier pigeon' is not one of");
    expect(await readdir(dir)).toEqual(['clean', 'transactions.csv']);
  });

  it('prints a JSON report per file and exits 0 when every row is valid', async () => {
    const { code, stdout } = await cli(dir, 'validate', 'clean', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject([
      {
        file: join('clean', 'transactions.csv'),
        dataset: 'transactions',
        status: 'ok',
        rows_read: 1,
        rows_valid: 1,
        rows_quarantined: 0,
        partitions: ['2024-06-01'],
        top_reasons: [],
        samples: [],
      },
    ]);
  });

  it('limits the samples with --samples and refuses a bad value with exit 2', async () => {
    const one = await cli(dir, 'validate', 'transactions.csv', '--json', '--samples', '1');
    expect(JSON.parse(one.stdout)[0].samples).toHaveLength(1);
    const bad = await cli(dir, 'validate', 'transactions.csv', '--samples', 'many');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--samples must be a positive whole number, got 'many'");
  });
});

describe('ledgerlake datasets (shipped binary)', () => {
  it('lists every dataset with its columns, rules and the models it feeds', async () => {
    const { code, stdout } = await cli(process.cwd(), 'datasets', '--json');
    expect(code).toBe(0);
    const datasets = JSON.parse(stdout) as {
      name: string;
      feeds: string[];
      columns: { name: string; rules: string[] }[];
    }[];
    // The built-in contracts in file-name order (datasets/*.yaml, as the registry reads them).
    expect(datasets.map((d) => d.name)).toEqual([
      'accounts',
      'customer_profiles',
      'customers',
      'holdings_movements',
      'invoices',
      'organizations',
      'sales',
      'stock_movements',
      'transactions',
      'web_events',
    ]);
    const transactions = datasets.find((d) => d.name === 'transactions')!;
    expect(transactions.columns.find((c) => c.name === 'amount')?.rules).toEqual(['required', '> 0']);
    expect(transactions.feeds).toEqual(
      expect.arrayContaining(['stg_transactions', 'fact_transactions', 'kpi_daily']),
    );
    // fact_sales reads only sales: it must not show up under transactions.
    expect(transactions.feeds).not.toContain('fact_sales');
    expect(datasets.find((d) => d.name === 'sales')?.feeds).toContain('fact_sales');
  });

  it('refuses an unknown dataset with exit 2, naming the known ones', async () => {
    const { code, stderr } = await cli(process.cwd(), 'datasets', 'wires');
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      "ledgerlake: unknown dataset 'wires' (known: accounts, customer_profiles, customers, holdings_movements, invoices, organizations, sales, stock_movements, transactions, web_events)",
    );
  });
});

describe('ledgerlake init, contract infer and validate --contract (shipped binary)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'll-init-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a starter contracts folder that the CLI then reads, and refuses to overwrite it', async () => {
    const first = await cli(dir, 'init');
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual([
      'wrote contracts/schema/dataset-contract.schema.json',
      'wrote contracts/payments.yaml',
      'wrote contracts/README.md',
    ]);
    const listed = await cli(dir, 'datasets', 'payments', '--json');
    expect(JSON.parse(listed.stdout)[0]).toMatchObject({ name: 'payments', primary_key: ['payment_id'] });

    const again = await cli(dir, 'init');
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toBe(
      'ledgerlake: contracts/schema/dataset-contract.schema.json exists; --force overwrites the starter files',
    );
  });

  it('proposes a contract from a sample that then accepts every row of it', async () => {
    const sample = join(dir, 'batch.csv');
    let csv = 'transaction_id,date_key,customer_key,channel_key,amount,status,processing_time\n';
    for (let i = 0; i < 200; i++)
      csv += `${1000 + i},202603${String((i % 28) + 1).padStart(2, '0')},${i % 30},${(i % 4) + 1},${i + 0.5},${['success', 'failed'][i % 2]},${((i % 9) / 7).toFixed(3)}\n`;
    await writeFile(sample, csv);

    const inferred = await cli(dir, 'contract', 'infer', 'batch.csv', '--out', 'contracts/batch.yaml');
    expect(inferred.stderr).toBe('wrote contracts/batch.yaml: 7 columns, 1 note(s) to check\n');
    expect(inferred.code).toBe(0);
    const { stdout } = await cli(dir, 'datasets', 'batch', '--json');
    const batch = JSON.parse(stdout)[0];
    expect(batch.primary_key).toEqual(['transaction_id']);
    expect(batch.event_time).toBe('date_key');
    expect(batch.columns.map((c: { name: string; type: string }) => `${c.name}:${c.type}`)).toEqual([
      'transaction_id:string',
      'date_key:date',
      'customer_key:string',
      'channel_key:string',
      'amount:decimal(18,2)',
      'status:string',
      'processing_time:double',
    ]);

    const valid = await cli(dir, 'validate', 'batch.csv', '--contract', 'contracts/batch.yaml', '--json');
    expect(valid.code).toBe(0);
    const [report] = JSON.parse(valid.stdout);
    expect(report).toMatchObject({ dataset: 'batch', rows_read: 200, rows_valid: 200, rows_quarantined: 0 });
    expect(report.partitions).toHaveLength(28);

    // Negative control: a row the proposal does not cover is quarantined by the same contract.
    await writeFile(join(dir, 'bad.csv'), `${csv.split('\n')[0]}\n9999,2026-13-45,1,1,2.5,success,0.1\n`);
    const bad = await cli(dir, 'validate', 'bad.csv', '--contract', 'contracts/batch.yaml', '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)[0].top_reasons).toEqual([{ rule: 'date_key.format', rows: 1 }]);
  });

  it('names the file and the place when a contract file is wrong', async () => {
    await writeFile(
      join(dir, 'broken.yaml'),
      'name: broken\ndescription: x\nprimaryKey: [id]\neventTime: id\ncolumns:\n  - name: id\n    type: money\n    description: x\n',
    );
    const { code, stderr } = await cli(dir, 'validate', 'batch.csv', '--contract', 'broken.yaml');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^ledgerlake: broken\.yaml: columns\[0\]\.type: /);
  });
});
