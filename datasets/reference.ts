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

const BASE_REFERENCE_TABLES: readonly ReferenceTable[] = [
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

/** How each invoice status counts in the organization financials: the rules are data, not SQL. */
export const INVOICE_STATUS_TABLE: ReferenceTable = {
  name: 'ref_invoice_status',
  file: 'invoice_status.csv',
  description: 'How each invoice status counts: factors applied to the amount and the payment, and finality.',
  columns: [
    { name: 'status', type: 'string', description: 'Invoice status as in invoices.status.' },
    {
      name: 'amount_factor',
      type: 'decimal(18,2)',
      description: 'Multiplier of the invoice amount in accrued revenue (1 counts, 0 ignores, -1 reverses).',
    },
    {
      name: 'payment_factor',
      type: 'decimal(18,2)',
      description: 'Multiplier of the payment amount in accepted payments and realized revenue.',
    },
    { name: 'is_final', type: 'boolean', description: 'True when the invoice can no longer change.' },
    { name: 'description', type: 'string', description: 'What the status means, for people.' },
  ],
};

/**
 * The balance-alert rules. Each row watches one metric of one balance model; thresholds live here and
 * nowhere in code, so tuning an alert is a data change (a CSV edit and a deploy), like a fee change.
 */
export const ALERT_RULES_TABLE: ReferenceTable = {
  name: 'ref_alert_rules',
  file: 'alert_rules.csv',
  description: 'Balance-alert rules: which balance to watch and what move breaches.',
  columns: [
    {
      name: 'rule_name',
      type: 'string',
      description: 'Unique rule name, snake_case; used in subjects and keys.',
    },
    {
      name: 'model',
      type: 'string',
      description: 'Balance model (view) the rule watches, as named in alert_balance_series.model.',
    },
    { name: 'entity_key', type: 'string', description: 'Column of the model that names the entity.' },
    {
      name: 'metric',
      type: 'string',
      description: 'Balance column of the model the rule compares day to day.',
    },
    {
      name: 'threshold_rate',
      type: 'double',
      description: 'Breach when |change| >= threshold_rate x |previous| (0.50 is 50%).',
    },
    { name: 'direction', type: 'string', description: 'up, down or both: which moves count.' },
    {
      name: 'min_abs_change',
      type: 'decimal(18,2)',
      description: 'A move must also be at least this large in absolute terms (0 for no minimum).',
    },
    {
      name: 'zero_previous',
      type: 'string',
      description:
        "When the previous balance is 0: 'from_zero' alerts above from_zero_min_amount, 'ignore' never.",
    },
    {
      name: 'from_zero_min_amount',
      type: 'decimal(18,2)',
      description: "Smallest |new balance| that alerts after a zero balance (zero_previous = 'from_zero').",
    },
    { name: 'severity', type: 'string', description: 'info, warning or critical; a message attribute.' },
    { name: 'description', type: 'string', description: 'What the rule watches, for people.' },
  ],
};

/** Every reference table: loaded into DuckDB locally, uploaded with a Glue table each on AWS. */
export const REFERENCE_TABLES: readonly ReferenceTable[] = [
  ...BASE_REFERENCE_TABLES,
  INVOICE_STATUS_TABLE,
  ALERT_RULES_TABLE,
];
