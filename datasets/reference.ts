import type { ColumnType } from '../src/contract/types';

/**
 * Reference data: small lookup tables kept as CSV (with a header line) in the repo's `reference/`
 * folder. Changing a fee or a region is a data change, not a code change. Locally the DuckDB catalog
 * loads each CSV as a table; on AWS the stack uploads them and declares one Glue table each.
 */
export interface ReferenceTable {
  /** Table name, e.g. `ref_channels`. */
  readonly name: string;
  /** CSV file name inside `reference/`, e.g. `channels.csv`. */
  readonly file: string;
  readonly description: string;
  /** Columns in the order of the CSV header. */
  readonly columns: readonly {
    readonly name: string;
    readonly type: ColumnType;
    readonly description: string;
  }[];
}

export const REFERENCE_TABLES: readonly ReferenceTable[] = [
  {
    name: 'ref_channels',
    file: 'channels.csv',
    description: 'Payment channels: display name and the fee charged on successful transactions.',
    columns: [
      { name: 'channel', type: 'string', description: 'Channel id as in transactions.channel.' },
      { name: 'display_name', type: 'string', description: 'Name shown in reports.' },
      {
        name: 'fee_percent',
        type: 'decimal(18,2)',
        description: 'Fee in percent of the amount of a successful transaction (2.00 is 2%).',
      },
    ],
  },
  {
    name: 'ref_cities',
    file: 'cities.csv',
    description: 'Cities with their state and sales region.',
    columns: [
      { name: 'city', type: 'string', description: 'City name as in transactions.city and customers.city.' },
      { name: 'state', type: 'string', description: 'Two-letter state code (DC for Washington, D.C.).' },
      {
        name: 'region',
        type: 'string',
        description: 'Region, lower case (northeast, midwest, south, west), as in sales.region.',
      },
    ],
  },
];
