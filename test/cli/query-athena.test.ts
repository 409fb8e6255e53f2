import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCliWith } from '../support/shipped-cli';

/**
 * Issue 18: `query --engine athena`, through the shipped binary. Athena has no local engine, so a
 * local HTTP server speaks its JSON wire protocol (`X-Amz-Target: AmazonAthena.*`), the SDK is pointed
 * at it with `AWS_ENDPOINT_URL_ATHENA`, and the test asserts the exact requests and the output.
 */
interface Call {
  readonly target: string;
  readonly body: Record<string, unknown>;
}

let server: Server;
let endpoint: string;
let calls: Call[];
let work: string;
/** Result pages GetQueryResults answers, by NextToken ('' for the first). */
let pages: Record<string, { rows: string[][]; next?: string }>;
let failWith: string | undefined;

const COLUMNS = [
  { Name: 'account_id', Type: 'varchar' },
  { Name: 'balance', Type: 'decimal', Precision: 20, Scale: 2 },
  { Name: 'n', Type: 'bigint' },
];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ledgerlake-athena-cli-'));
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '').replace('AmazonAthena.', '');
      const body = JSON.parse(text || '{}') as Record<string, unknown>;
      calls.push({ target, body });
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (target === 'StartQueryExecution') return reply(200, { QueryExecutionId: 'q-1' });
      if (target === 'GetQueryExecution') {
        return reply(200, {
          QueryExecution: {
            QueryExecutionId: 'q-1',
            StatementType: 'DML',
            Status: failWith ? { State: 'FAILED', StateChangeReason: failWith } : { State: 'SUCCEEDED' },
            Statistics: {
              DataScannedInBytes: 1234,
              EngineExecutionTimeInMillis: 5,
              TotalExecutionTimeInMillis: 7,
            },
          },
        });
      }
      if (target === 'GetQueryResults') {
        const page = pages[String(body.NextToken ?? '')]!;
        return reply(200, {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: COLUMNS },
            Rows: page.rows.map((row) => ({ Data: row.map((value) => ({ VarCharValue: value })) })),
          },
          ...(page.next ? { NextToken: page.next } : {}),
        });
      }
      reply(400, { __type: 'InvalidRequestException', Message: `unexpected ${target}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (work) rmSync(work, { recursive: true, force: true });
});

const ENV = () => ({
  AWS_ENDPOINT_URL_ATHENA: endpoint,
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_EC2_METADATA_DISABLED: 'true',
  // The SDK warns on Node 20 that its releases after January 2027 need Node 22; the SDK's own switch.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

const SQL = 'select account_id, balance, n from fact_account_daily_balance';

/** `ledgerlake query ...args` with the Athena stand-in's environment. */
const query = (...args: string[]) => runCliWith({ cwd: work, env: ENV() }, 'query', ...args);

/** `ledgerlake query SQL --engine athena --workgroup W --database D ...more`. */
const onAthena = (sql: string, workgroup: string, database: string, ...more: string[]) =>
  query(sql, '--engine', 'athena', '--workgroup', workgroup, '--database', database, ...more);

describe('ledgerlake query --engine athena', () => {
  beforeEach(() => {
    calls = [];
    failWith = undefined;
  });

  it('runs the SQL in the workgroup and database, reads every page, and keeps decimals exact in JSON', async () => {
    pages = {
      '': {
        rows: [
          ['account_id', 'balance', 'n'],
          ['A1', '12345678901234567.89', '9007199254740993'],
        ],
        next: 't2',
      },
      t2: { rows: [['A2', '-0.10', '1']] },
    };

    const run = await onAthena(SQL, 'ledgerlake', 'lake_db', '--json');

    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(JSON.parse(run.stdout)).toEqual([
      { account_id: 'A1', balance: '12345678901234567.89', n: '9007199254740993' },
      { account_id: 'A2', balance: '-0.10', n: '1' },
    ]);
    expect(calls.map((c) => c.target)).toEqual([
      'StartQueryExecution',
      'GetQueryExecution',
      'GetQueryResults',
      'GetQueryResults',
    ]);
    expect(calls[0]!.body).toEqual({
      // The SDK's idempotency token: a retried start does not run the query twice.
      ClientRequestToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
      QueryString: SQL,
      WorkGroup: 'ledgerlake',
      QueryExecutionContext: { Database: 'lake_db', Catalog: 'AwsDataCatalog' },
    });
    expect(calls[2]!.body).toEqual({ QueryExecutionId: 'q-1', MaxResults: 1000 });
    expect(calls[3]!.body).toEqual({ QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: 't2' });
  }, 60_000);

  it('prints the table and CSV formats too, and stops reading pages after --limit', async () => {
    pages = {
      '': {
        rows: [
          ['account_id', 'balance', 'n'],
          ['A1', '1.50', '2'],
        ],
        next: 't2',
      },
      t2: { rows: [['A2', '3.00', '4']] },
    };
    const csv = await onAthena(SQL, 'w', 'd', '--format', 'csv', '--limit', '1');
    expect([csv.code, csv.stdout]).toEqual([0, 'account_id,balance,n\nA1,1.50,2\n']);
    expect(calls.filter((c) => c.target === 'GetQueryResults')).toHaveLength(1);
  }, 60_000);

  it("fails with exit 1 and Athena's reason when the query fails", async () => {
    failWith = 'TABLE_NOT_FOUND: line 1:15: Table lake_db.nope does not exist';
    const run = await onAthena('select * from nope', 'w', 'lake_db');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'ledgerlake: query failed: Athena query q-1 failed in workgroup w: TABLE_NOT_FOUND',
    );
  }, 60_000);

  it('refuses --engine athena without --workgroup and --database, and those options without it (exit 2)', async () => {
    const missing = await query(SQL, '--engine', 'athena');
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([
      2,
      'ledgerlake: --engine athena needs --workgroup W and --database D (the stack outputs name both)',
    ]);
    const stray = await query(SQL, '--workgroup', 'w');
    expect([stray.code, stray.stderr.split('\n')[0]]).toEqual([
      2,
      'ledgerlake: --workgroup and --database go with --engine athena',
    ]);
  }, 60_000);
});
