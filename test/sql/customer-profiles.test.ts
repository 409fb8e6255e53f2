import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { ingestObject } from '../../src/ingest/ingest-object';
import type { Manifest } from '../../src/ingest/manifest';
import { FsObjectStore } from '../../src/storage/fs-store';

const LONG_EMAIL = `${'a'.repeat(250)}@example.com`;

/** A CRM export as it lands: JSON, nested contact, every fault the cleansing rules repair or reject. */
const EXPORT = [
  // Padded, mixed-case email; ISO join date. An older record of C001 comes later in the file.
  {
    id: 'C001',
    full_name: ' Ada Lovelace ',
    contact: { email: '  Ada@Example.COM ', city: 'Boston' },
    joined: '2021-03-04',
    points: 120,
    last_modified: '2024-05-02T10:00:00Z',
  },
  {
    id: 'C001',
    full_name: 'Ada L.',
    contact: { email: 'old@example.com', city: 'Boston' },
    joined: '2021-03-04',
    points: 80,
    last_modified: '2024-04-01T10:00:00Z',
  },
  // The join bug doubled the id; day-first join date; negative points.
  {
    id: 'C082C082',
    full_name: 'Grace Hopper',
    contact: { email: 'grace@navy.mil', city: 'Austin' },
    joined: '15/07/2020',
    points: -40,
    last_modified: '2024-05-02T11:00:00Z',
  },
  // Invalid email; dotted join date.
  {
    id: 'c107',
    full_name: 'Alan Turing',
    contact: { email: 'alan.turing(at)example', city: 'Seattle' },
    joined: '01.02.2019',
    points: 5,
    last_modified: '2024-05-02T12:00:00Z',
  },
  // Over-long email; compact join date; no points.
  {
    id: 'C200',
    full_name: 'Edsger Dijkstra',
    contact: { email: LONG_EMAIL },
    joined: '20180911',
    last_modified: '2024-05-02T13:00:00Z',
  },
  // A doubled-looking id that is not a doubled id (halves differ) stays as it is.
  {
    id: 'C12C13',
    full_name: 'Barbara Liskov',
    contact: { email: 'barbara@example.com' },
    joined: '2017/06/30',
    points: 0,
    last_modified: '2024-05-02T14:00:00Z',
  },
  // What cannot be repaired: no id, a join date in no known spelling.
  { id: '', full_name: 'Nobody', joined: '2020-01-01', last_modified: '2024-05-02T15:00:00Z' },
  { id: 'C300', full_name: 'Unknown Date', joined: 'last spring', last_modified: '2024-05-02T16:00:00Z' },
];

describe('customer cleansing: repair and warn next to reject', () => {
  let dir: string;
  let engine: DuckDbEngine;
  let manifest: Manifest;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledgerlake-profiles-'));
    const lake = new FsObjectStore(dir);
    const key = 'landing/customer_profiles/crm-export-2024-05-02.json';
    await lake.put(key, new TextEncoder().encode(JSON.stringify(EXPORT)));
    ({ manifest } = await ingestObject({ landing: lake, lake, key }));
    engine = await openDuckDb({ source: dir, threads: 1 });
    await buildCatalog(engine, { lakeDir: dir });
  });

  afterAll(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('quarantines only the records it cannot repair', async () => {
    const quarantined = await engine.query(
      "select rules from quarantine where dataset = 'customer_profiles' order by rules",
    );

    expect(manifest).toMatchObject({ rows_read: 8, rows_valid: 6, rows_quarantined: 2 });
    expect(quarantined.rows).toEqual([{ rules: 'customer_id.required' }, { rules: 'join_date.format' }]);
  });

  it('keeps the latest record per customer, trimmed, lower-cased and repaired', async () => {
    const result = await engine.query(
      'select customer_id, customer_name, email, join_date, loyalty_points, record_count, warning_count from dim_customer_profile order by customer_id',
    );

    expect(result.rows).toEqual([
      profile('C001', 'Ada Lovelace', 'ada@example.com', '2021-03-04', 120, 2, 0),
      profile('C082', 'Grace Hopper', 'grace@navy.mil', '2020-07-15', 0, 1, 2),
      profile('C107', 'Alan Turing', null, '2019-02-01', 5, 1, 1),
      profile('C12C13', 'Barbara Liskov', 'barbara@example.com', '2017-06-30', 0, 1, 0),
      profile('C200', 'Edsger Dijkstra', null, '2018-09-11', null, 1, 1),
    ]);
  });

  it('lists every repair with the value received, like the quarantine lists rejections', async () => {
    const result = await engine.query(
      'select record_key, rule_id, received_value, repaired_value, message from repair_warnings order by record_key, rule_id',
    );

    expect(result.rows).toEqual([
      {
        record_key: 'C082',
        rule_id: 'customer_id.doubled_id',
        received_value: 'C082C082',
        repaired_value: 'C082',
        message: 'customer_id was doubled by a join (C082C082), kept as C082',
      },
      {
        record_key: 'C082',
        rule_id: 'loyalty_points.negative_points',
        received_value: '-40',
        repaired_value: '0',
        message: 'loyalty_points must be >= 0, got -40, clamped to 0',
      },
      {
        record_key: 'C107',
        rule_id: 'email.invalid_email',
        received_value: 'alan.turing(at)example',
        repaired_value: null,
        message: 'email is not an address such as name@example.com (alan.turing(at)example), set to null',
      },
      {
        record_key: 'C200',
        rule_id: 'email.email_too_long',
        received_value: LONG_EMAIL,
        repaired_value: null,
        message: 'email is longer than 254 characters, set to null',
      },
    ]);
  });

  it('counts warnings per dataset, day and rule next to the rejections', async () => {
    const warnings = await engine.query(
      'select dt, rule_id, warned_rows from data_quality_warnings order by rule_id',
    );
    const rejections = await engine.query(
      "select rule_id, rejected_rows from data_quality_rejections where dataset = 'customer_profiles' order by rule_id",
    );

    expect(warnings.rows).toEqual([
      { dt: '2024-05-02', rule_id: 'customer_id.doubled_id', warned_rows: 1 },
      { dt: '2024-05-02', rule_id: 'email.email_too_long', warned_rows: 1 },
      { dt: '2024-05-02', rule_id: 'email.invalid_email', warned_rows: 1 },
      { dt: '2024-05-02', rule_id: 'loyalty_points.negative_points', warned_rows: 1 },
    ]);
    expect(rejections.rows).toEqual([
      { rule_id: 'customer_id.required', rejected_rows: 1 },
      { rule_id: 'join_date.format', rejected_rows: 1 },
    ]);
  });
});

function profile(
  customer_id: string,
  customer_name: string,
  email: string | null,
  join_date: string,
  loyalty_points: number | null,
  record_count: number,
  warning_count: number,
) {
  return { customer_id, customer_name, email, join_date, loyalty_points, record_count, warning_count };
}
