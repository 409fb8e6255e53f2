import type { ReferenceTable } from '../../datasets/reference';

/**
 * Reference tables of the alerts feature. They belong in `REFERENCE_TABLES` (datasets/reference.ts),
 * which loads them into DuckDB locally and deploys them as Glue tables on AWS; they are declared here
 * so the alert code and its tests can name them.
 */

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

/** Both tables, in the order they should be appended to `REFERENCE_TABLES`. */
export const ALERT_REFERENCE_TABLES: readonly ReferenceTable[] = [INVOICE_STATUS_TABLE, ALERT_RULES_TABLE];
