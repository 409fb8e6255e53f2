import type { BaseColumnSpec } from './types';

/**
 * The conformed models a dataset can feed (`feeds.dataset` of a contract): a built-in dataset whose
 * staging model reads the union of it and every dataset that feeds it, with the columns the feeding
 * sources may add. The JSON Schema's `feeds.dataset` enum lists the same names (a test checks it).
 */
export const CONFORMED_DATASETS: Readonly<
  Record<string, { readonly model: string; readonly extraColumns: readonly BaseColumnSpec[] }>
> = {
  transactions: {
    model: 'stg_transactions',
    extraColumns: [
      {
        name: 'fee_percent',
        type: 'decimal(18,2)',
        description:
          "Fee in percent this source charges (2.00 is 2%), from the source's own reference data; null for the built-in ledger, whose fee is the channel's in reference/channels.csv.",
      },
    ],
  },
};
