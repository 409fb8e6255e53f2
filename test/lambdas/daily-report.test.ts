import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaQueryEngine, type AthenaSend } from '../../src/engine/athena';
import { CUBE_QUERIES } from '../../src/report/cubes';
import { readPayload } from '../../src/report/dashboard';
import { publishDashboard, ReportIncompleteError } from '../../src/report/publish-report';
import { S3ObjectStore } from '../../src/storage/s3-store';
import { type S3TestServer, startS3Server } from '../support/s3-server';

const SPAN = { from: '2024-03-01', to: '2024-03-10' };
const NOW = new Date('2024-03-11T06:05:00Z');

/** Athena's API has no local stand-in: answers each query from `answer`, recording every request. */
function scriptedAthena(answer: (sql: string) => { columns: string[]; rows: string[][] } | 'fail') {
  const requests: { command: string; input: Record<string, unknown> }[] = [];
  const sqls: string[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      requests.push({ command: command.constructor.name, input: command.input });
      const index = Number(String(command.input.QueryExecutionId ?? '').slice(1));
      switch (command.constructor.name) {
        case 'StartQueryExecutionCommand':
          sqls.push(command.input.QueryString as string);
          return { QueryExecutionId: `q${sqls.length - 1}` };
        case 'GetQueryExecutionCommand': {
          const failed = answer(sqls[index]!) === 'fail';
          return {
            QueryExecution: {
              Status: failed
                ? { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND' }
                : { State: 'SUCCEEDED' },
              StatementType: 'DML',
              Statistics: { DataScannedInBytes: 1 },
            },
          };
        }
        case 'GetQueryResultsCommand': {
          const result = answer(sqls[index]!) as { columns: string[]; rows: string[][] };
          return {
            ResultSet: {
              ResultSetMetadata: {
                ColumnInfo: result.columns.map((c) => ({ Name: c, Label: c, Type: 'varchar' })),
              },
              Rows: [result.columns, ...result.rows].map((r) => ({
                Data: r.map((v) => ({ VarCharValue: v })),
              })),
            },
          };
        }
        default:
          return {};
      }
    },
  };
  return { client: client as unknown as AthenaSend, requests };
}

/** Each cube empty but two: one transactions row (7 transactions) and one freshness row. */
function cannedCubes(sql: string) {
  if (sql === CUBE_QUERIES.transactions.sql(SPAN))
    return {
      columns: [...CUBE_QUERIES.transactions.columns],
      rows: [['2024-03-05', 'upi', 'boston', 'retail', '7', '1', '3500000', '7000', '7']],
    };
  if (sql === CUBE_QUERIES.freshness.sql())
    return {
      columns: [...CUBE_QUERIES.freshness.columns],
      rows: [['transactions', '2024-03-10 23:00:00.000', '31', '2', '2024-03-10', '123457']],
    };
  const cube = Object.values(CUBE_QUERIES).find((q) => q.sql(SPAN) === sql);
  return { columns: [...(cube?.columns ?? [])], rows: [] };
}

describe('the dashboard the daily run publishes, through Athena to the lake bucket', () => {
  let s3: S3TestServer;

  beforeAll(async () => {
    s3 = await startS3Server({ buckets: ['lake'] });
  }, 60_000);
  afterAll(() => s3?.stop());

  it('runs one query per cube in the workgroup and database, and puts the page under reports/dashboard/', async () => {
    const athena = scriptedAthena(cannedCubes);
    const engine = new AthenaQueryEngine({
      client: athena.client,
      workgroup: 'ledgerlake',
      database: 'ledgerlake_db',
      sleep: async () => {},
    });
    const lake = new S3ObjectStore({ client: s3.client, bucket: 'lake' });

    const published = await publishDashboard(engine, lake, { ...SPAN, now: NOW });

    const starts = athena.requests.filter((r) => r.command === 'StartQueryExecutionCommand');
    expect(starts.map((r) => r.input.QueryString).sort()).toEqual(
      Object.values(CUBE_QUERIES)
        .map((q) => q.sql(SPAN))
        .sort(),
    );
    for (const start of starts) {
      expect(start.input).toMatchObject({
        WorkGroup: 'ledgerlake',
        QueryExecutionContext: { Database: 'ledgerlake_db' },
      });
    }
    expect(published.keys).toEqual(['reports/dashboard/2024-03-11.html', 'reports/dashboard/latest.html']);
    for (const key of published.keys) {
      const object = await s3.client.send(new GetObjectCommand({ Bucket: 'lake', Key: key }));
      const html = (await object.Body?.transformToString('utf-8')) ?? '';
      expect(object.ContentType).toBe('text/html; charset=utf-8');
      expect(html.startsWith('<!doctype html>')).toBe(true);
      expect(html).toContain('<td class="num">123,457</td>');
      const payload = readPayload(html);
      expect({ n: payload.tx.n, f: payload.tx.f, rev: payload.tx.rev }).toEqual({
        n: [7],
        f: [1],
        rev: [3500000],
      });
      expect(payload.span).toMatchObject({ from: '2024-03-01', to: '2024-03-10' });
    }
  }, 60_000);

  it('writes nothing when a cube query fails, naming the cube', async () => {
    const athena = scriptedAthena((sql) =>
      sql === CUBE_QUERIES.sales.sql(SPAN) ? 'fail' : cannedCubes(sql),
    );
    const engine = new AthenaQueryEngine({
      client: athena.client,
      workgroup: 'ledgerlake',
      database: 'ledgerlake_db',
      sleep: async () => {},
    });
    const lake = new S3ObjectStore({ client: s3.client, bucket: 'lake' });

    const run = publishDashboard(engine, lake, { ...SPAN, now: new Date('2024-03-12T06:05:00Z') });

    await expect(run).rejects.toThrow(ReportIncompleteError);
    await expect(run).rejects.toThrow(/the sales query failed/);
    expect(await lake.head('reports/dashboard/2024-03-12.html')).toBeUndefined();
  }, 60_000);
});
