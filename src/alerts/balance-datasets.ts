/**
 * Datasets whose new rows can move a watched balance: an ingest that touched one of them triggers
 * the alerts (the stack's subscription filter and the Lambda both use this list).
 */
export const BALANCE_DATASETS: readonly string[] = [
  'transactions',
  'invoices',
  'organizations',
  'holdings_movements',
  'stock_movements',
];
