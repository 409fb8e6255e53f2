import type { ColumnSpec, DatasetContract } from '../src/contract/types';

/** The `snapshot_date` column every snapshot dataset shares (its event time and partition). */
export const snapshotDateColumn: ColumnSpec = {
  name: 'snapshot_date',
  type: 'date',
  required: true,
  description: 'Day of the snapshot delivery: from the row, else the file name, else the landing time.',
  aliases: ['snapshot', 'as_of_date', 'as_of'],
  formats: ['iso', 'dd/mm/yyyy', 'yyyy/mm/dd'],
};

/** Invoice statuses; each has a row in reference/invoice_status.csv saying how it counts. */
export const INVOICE_STATUSES = [
  'open',
  'pending',
  'paid',
  'failed',
  'cancelled',
  'credited',
  'refunded',
] as const;

const currency = (name: string, description: string, aliases: readonly string[]): ColumnSpec => ({
  name,
  type: 'string',
  description,
  aliases,
  case: 'upper',
  pattern: { regex: /^[A-Z]{3}$/, description: 'an ISO 4217 code such as EUR' },
});

/**
 * Invoices from the invoicing system. Each delivery is the full current state of every invoice, so a
 * snapshot date's latest delivery replaces the earlier ones of the same date.
 */
export const invoices: DatasetContract = {
  name: 'invoices',
  description: 'Invoice snapshots: one row per invoice per snapshot delivery.',
  primaryKey: ['invoice_id', 'snapshot_date'],
  eventTime: 'snapshot_date',
  snapshotDate: { fromFileName: /\d{4}-\d{2}-\d{2}/, fromLandingTime: true },
  columns: [
    {
      name: 'invoice_id',
      type: 'string',
      required: true,
      description: 'Invoice id.',
      aliases: ['Invoice ID', 'invoice_number'],
    },
    {
      name: 'parent_invoice_id',
      type: 'string',
      description: 'Invoice a credit note or correction refers to.',
      aliases: ['parent_id', 'original_invoice_id'],
    },
    {
      name: 'transaction_id',
      type: 'string',
      description: 'Payment transaction that settled the invoice, if any.',
      aliases: ['txn_id', 'payment_transaction_id'],
    },
    {
      name: 'organization_id',
      type: 'string',
      required: true,
      description: 'Organization invoiced.',
      aliases: ['org_id', 'Organization ID', 'organisation_id'],
    },
    {
      name: 'type',
      type: 'string',
      required: true,
      description: 'Kind of document.',
      aliases: ['invoice_type', 'document_type'],
      case: 'lower',
      valueAliases: { 'credit note': 'credit_note', creditnote: 'credit_note' },
      allowed: ['invoice', 'credit_note'],
    },
    {
      name: 'status',
      type: 'string',
      required: true,
      description: 'Invoice status; reference/invoice_status.csv says how each counts.',
      aliases: ['invoice_status', 'state'],
      case: 'lower',
      valueAliases: { canceled: 'cancelled', 'partially paid': 'open', unpaid: 'open', due: 'open' },
      allowed: INVOICE_STATUSES,
    },
    currency('currency', 'Currency of the invoice amount.', ['invoice_currency', 'ccy']),
    currency('payment_currency', 'Currency the payment was made in.', ['paid_currency']),
    {
      name: 'payment_method',
      type: 'string',
      description: 'How the invoice was paid (card, sepa, wire, ...).',
      aliases: ['method'],
      case: 'lower',
    },
    {
      name: 'amount',
      type: 'decimal(18,2)',
      required: true,
      description: 'Invoiced amount in `currency`, not negative; the status gives the sign it counts with.',
      aliases: ['invoice_amount', 'total'],
      range: { min: 0 },
    },
    {
      name: 'payment_amount',
      type: 'decimal(18,2)',
      description: 'Amount paid in `payment_currency`.',
      aliases: ['paid_amount'],
      range: { min: 0 },
    },
    {
      name: 'fx_rate',
      type: 'double',
      description: 'Rate from `currency` to the reporting currency; missing means 1.',
      aliases: ['exchange_rate'],
      range: { min: 0, minExclusive: true },
    },
    {
      name: 'fx_rate_payment',
      type: 'double',
      description: 'Rate from `payment_currency` to the reporting currency; missing means 1.',
      aliases: ['payment_exchange_rate'],
      range: { min: 0, minExclusive: true },
    },
    snapshotDateColumn,
  ],
};
