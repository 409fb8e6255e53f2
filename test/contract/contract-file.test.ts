import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../datasets';
import { BUILT_IN_CONTRACTS_DIR } from '../../datasets/registry';
import {
  CONTRACT_SCHEMA_FILE,
  ContractFileError,
  loadContractFile,
  loadContractFolder,
  parseContract,
} from '../../src/contract/contract-file';
import { CONFORMED_DATASETS } from '../../src/contract/feeds';
import type { ColumnSpec, DatasetContract, DatasetFeed, NumericRange } from '../../src/contract/types';

/** The built-in contracts as datasets/*.ts declared them before they became files (regexes as text). */
const BEFORE = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'built-in-contracts.before.json'), 'utf8'),
) as { name: string }[];
/** Built-in contracts written as files from the start (issue 15), so not in the fixture above. */
const WRITTEN_AS_FILES = [
  'accounts',
  'customer_profiles',
  'holdings_movements',
  'stock_movements',
  'web_events',
];
/** Columns built-in contracts gained after the conversion (issue 15): left out of the comparison. */
const COLUMNS_ADDED_SINCE: Readonly<Record<string, readonly string[]>> = {
  sales: ['category_display', 'region_display', 'order_time'],
};

const asJson = (contract: DatasetContract) =>
  JSON.parse(
    JSON.stringify(contract, (_key, value: unknown) =>
      value instanceof RegExp ? { regex: value.source, flags: value.flags } : value,
    ),
  );

const schema = JSON.parse(readFileSync(CONTRACT_SCHEMA_FILE, 'utf8'));

/** A valid minimal contract file, as YAML, with `extra` lines appended to its only column. */
function minimal(columnLines = '', topLines = ''): string {
  return [
    '# yaml-language-server: $schema=../schema/dataset-contract.schema.json',
    'name: wires',
    'description: Wire transfers.',
    'primaryKey: [wire_id]',
    'eventTime: booked_on',
    topLines,
    'columns:',
    '  - name: wire_id',
    '    type: string',
    '    description: Wire id.',
    '  - name: booked_on',
    '    type: date',
    '    description: Booking day.',
    columnLines,
  ]
    .filter((line) => line !== '')
    .join('\n');
}

function messageOf(text: string, file = 'contracts/wires.yaml'): string {
  try {
    parseContract(text, file, tmpdir());
  } catch (error) {
    expect(error).toBeInstanceOf(ContractFileError);
    return (error as Error).message;
  }
  throw new Error('the contract was accepted');
}

describe('built-in contract files', () => {
  it.each(BEFORE.map((before) => [before.name, before]))(
    '%s loads into exactly the contract datasets/*.ts declared',
    (name, before) => {
      const loaded = DATASETS.find((d) => d.name === name);
      const added = COLUMNS_ADDED_SINCE[name] ?? [];
      const asConverted = loaded && {
        ...asJson(loaded),
        columns: asJson(loaded).columns.filter((c: { name: string }) => !added.includes(c.name)),
      };
      expect(asConverted).toEqual(before);
      expect(loaded?.columns.filter((c) => added.includes(c.name))).toHaveLength(added.length);
    },
  );

  it('are every contract of the datasets folder, and nothing else', () => {
    expect(loadContractFolder(BUILT_IN_CONTRACTS_DIR).map((d) => d.name)).toEqual(
      [...BEFORE.map((d) => d.name), ...WRITTEN_AS_FILES].sort(),
    );
  });

  it('name the published schema for editors on their first line', () => {
    for (const name of [...BEFORE.map((d) => d.name), ...WRITTEN_AS_FILES]) {
      const text = readFileSync(join(BUILT_IN_CONTRACTS_DIR, `${name}.yaml`), 'utf8');
      expect(text.split('\n')[0]).toBe(
        '# yaml-language-server: $schema=../schema/dataset-contract.schema.json',
      );
    }
  });
});

describe('the JSON Schema and the TypeScript contract agree', () => {
  // Compile-time half: adding a field to ColumnSpec, DatasetContract or DatasetFeed without listing it
  // here fails the type check; the test then requires the schema to declare it.
  const columnFields: Record<keyof ColumnSpec, true> = {
    name: true,
    type: true,
    description: true,
    required: true,
    aliases: true,
    path: true,
    trim: true,
    case: true,
    valueAliases: true,
    allowed: true,
    range: true,
    pattern: true,
    default: true,
    percent: true,
    formats: true,
    round: true,
    lookup: true,
  };
  const contractFields: Record<keyof DatasetContract, true> = {
    name: true,
    description: true,
    columns: true,
    primaryKey: true,
    eventTime: true,
    snapshotDate: true,
    feeds: true,
  };
  const rangeFields: Record<keyof NumericRange, true> = {
    min: true,
    minExclusive: true,
    max: true,
    maxExclusive: true,
  };
  const feedFields: Record<keyof DatasetFeed, true> = { dataset: true, columns: true };

  it('declares every field of a column, and no other', () => {
    expect(Object.keys(schema.definitions.column.properties).sort()).toEqual(
      Object.keys(columnFields).sort(),
    );
  });

  it('declares every field of a dataset contract (and $schema), and no other', () => {
    expect(Object.keys(schema.properties).sort()).toEqual([...Object.keys(contractFields), '$schema'].sort());
  });

  it('declares the range and feed fields', () => {
    expect(Object.keys(schema.definitions.column.properties.range.properties).sort()).toEqual(
      Object.keys(rangeFields).sort(),
    );
    expect(Object.keys(schema.properties.feeds.properties).sort()).toEqual(Object.keys(feedFields).sort());
  });

  it('offers exactly the conformed datasets a contract can feed', () => {
    expect(schema.properties.feeds.properties.dataset.enum).toEqual(Object.keys(CONFORMED_DATASETS));
  });

  it('lists the same column types and date formats as the compiler accepts', () => {
    const types: Record<ColumnSpec['type'], true> = {
      string: true,
      integer: true,
      double: true,
      'decimal(18,2)': true,
      date: true,
      timestamp: true,
      boolean: true,
    };
    const formats: Record<NonNullable<ColumnSpec['formats']>[number], true> = {
      iso: true,
      'dd/mm/yyyy': true,
      'mm-dd-yyyy': true,
      'yyyy/mm/dd': true,
      'dd.mm.yyyy': true,
      yyyymmdd: true,
      epoch_millis: true,
      epoch_seconds: true,
    };
    expect([...schema.definitions.column.properties.type.enum].sort()).toEqual(Object.keys(types).sort());
    expect([...schema.definitions.dateFormat.enum].sort()).toEqual(Object.keys(formats).sort());
  });
});

describe('a contract file', () => {
  it('compiles YAML and its JSON twin (with $schema) into the same contract', () => {
    const yaml = minimal('    aliases: [booking_date]\n    formats: [yyyymmdd, dd.mm.yyyy]');
    const fromYaml = parseContract(yaml, 'contracts/wires.yaml', tmpdir());
    const json = JSON.stringify({ $schema: '../schema/dataset-contract.schema.json', ...asJson(fromYaml) });
    expect(parseContract(json, 'contracts/wires.json', tmpdir())).toEqual(fromYaml);
    expect(fromYaml.columns[1]).toEqual({
      name: 'booked_on',
      type: 'date',
      description: 'Booking day.',
      aliases: ['booking_date'],
      formats: ['yyyymmdd', 'dd.mm.yyyy'],
    });
  });

  it('turns a pattern into a regular expression with its flags', () => {
    const contract = parseContract(
      minimal('    pattern: { regex: "^w-\\\\d+$", flags: i, description: a wire id such as W-12 }').replace(
        '  - name: booked_on',
        '  - name: booked_on',
      ),
      'contracts/wires.yaml',
      tmpdir(),
    );
    const pattern = contract.columns[1]?.pattern;
    expect(pattern?.regex).toEqual(/^w-\d+$/i);
    expect(pattern?.description).toBe('a wire id such as W-12');
  });

  it.each([
    [
      'a column type the language lacks',
      minimal().replace('    type: date', '    type: money'),
      'contracts/wires.yaml: columns[1].type: must be one of string, integer, double, decimal(18,2), date, timestamp, boolean',
    ],
    [
      'an unknown field',
      minimal('    nullable: true'),
      "contracts/wires.yaml: columns[1]: has an unknown field 'nullable'",
    ],
    [
      'a column without a description',
      minimal().replace('    description: Booking day.', ''),
      "contracts/wires.yaml: columns[1]: misses the required field 'description'",
    ],
    [
      'a date format the language lacks',
      minimal('    formats: [yyyy.mm.dd]'),
      'contracts/wires.yaml: columns[1].formats[0]: must be one of iso, dd/mm/yyyy, mm-dd-yyyy, yyyy/mm/dd, dd.mm.yyyy, yyyymmdd, epoch_millis, epoch_seconds',
    ],
    [
      'a default that is a list',
      minimal('    default: [1]'),
      'contracts/wires.yaml: columns[1].default: must be a string, a number or { fromColumn: <column> }',
    ],
    [
      'an event time that is not a column',
      minimal().replace('eventTime: booked_on', 'eventTime: booked_at'),
      "contracts/wires.yaml: eventTime: 'booked_at' is not one of the columns",
    ],
    [
      'a key that is not a column',
      minimal().replace('primaryKey: [wire_id]', 'primaryKey: [wire_id, bank]'),
      "contracts/wires.yaml: primaryKey[1]: 'bank' is not one of the columns",
    ],
    [
      'two columns of one name',
      minimal().replace('  - name: booked_on', '  - name: wire_id'),
      "contracts/wires.yaml: columns[1].name: 'wire_id' is already the name of columns[0]",
    ],
    [
      'a pattern that is no regular expression',
      minimal('    pattern: { regex: "([a-z", description: letters }'),
      'contracts/wires.yaml: columns[1].pattern.regex: Invalid regular expression: /([a-z/: Unterminated character class',
    ],
    [
      'an event time that is not a date',
      minimal().replace('    type: date', '    type: string'),
      'contracts/wires.yaml: eventTime booked_on must be a date or timestamp',
    ],
    [
      'a dataset name that is not snake_case',
      minimal().replace('name: wires', 'name: Wires'),
      'contracts/wires.yaml: name: must match ^[a-z][a-z0-9_]*$ (snake_case names)',
    ],
    [
      'a feed onto a dataset that is not conformed',
      minimal('', 'feeds: { dataset: sales }'),
      'contracts/wires.yaml: feeds.dataset: must be one of transactions',
    ],
    [
      'a feed from a column that does not exist',
      minimal('', 'feeds: { dataset: transactions, columns: { event_time: booked_at } }'),
      "contracts/wires.yaml: feeds.columns.event_time: 'booked_at' is not one of the columns",
    ],
    [
      'broken YAML',
      'name: wires\ncolumns: [a\n',
      /^contracts\/wires\.yaml: line \d+, column \d+: is not valid YAML: /,
    ],
  ])('with %s is refused with a message naming the file and the place', (_, text, expected) => {
    const message = messageOf(text);
    if (typeof expected === 'string') expect(message).toBe(expected);
    else expect(message).toMatch(expected);
  });

  it('names the JSON file whose syntax is broken', () => {
    expect(messageOf('{"name": "wires",', 'contracts/wires.json')).toMatch(
      /^contracts\/wires\.json: is not valid JSON: /,
    );
  });

  it('takes lookup entries from the reference CSV named relative to it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contract-file-'));
    writeFileSync(
      join(dir, 'channels.csv'),
      'channel_key,channel,fee_percent\n1,credit_card,2.50\n"4",upi,0.40\n',
    );
    writeFileSync(
      join(dir, 'wires.yaml'),
      minimal(
        [
          '  - name: channel',
          '    type: string',
          '    description: Channel.',
          '    aliases: [channel_key]',
          '    lookup: { file: channels.csv, key: channel_key, value: channel }',
        ].join('\n'),
      ),
    );
    const contract = loadContractFile(join(dir, 'wires.yaml'));
    expect(contract.columns[2]?.lookup).toMatchObject({
      key: 'channel_key',
      value: 'channel',
      entries: { '1': 'credit_card', '4': 'upi' },
    });
  });

  it('is refused when its lookup names a column the reference CSV lacks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contract-file-'));
    writeFileSync(join(dir, 'channels.csv'), 'code,channel\n1,credit_card\n');
    const text = minimal(
      '  - name: channel\n    type: string\n    description: Channel.\n    lookup: { file: channels.csv, key: channel_key, value: channel }',
    );
    expect(() => parseContract(text, 'contracts/wires.yaml', dir)).toThrow(
      "contracts/wires.yaml: columns[2].lookup: channels.csv has no column 'channel_key' (its header is code, channel)",
    );
  });
});
