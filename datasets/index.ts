import type { DatasetContract } from '../src/contract/types';
import { loadDatasets } from './registry';

/**
 * Every dataset ledgerlake knows, by name: the built-in contracts (`datasets/*.yaml`) and the project's
 * (`--contracts DIR`, else `./contracts`). A file under `landing/<name>/` is ingested with its contract.
 */
export const DATASETS: readonly DatasetContract[] = loadDatasets();

/** The built-in dataset called `name`. */
function builtIn(name: string): DatasetContract {
  const contract = DATASETS.find((d) => d.name === name);
  if (!contract) throw new Error(`built-in dataset contract datasets/${name}.yaml is missing`);
  return contract;
}

export const transactions = builtIn('transactions');
export const customers = builtIn('customers');
export const sales = builtIn('sales');
export const organizations = builtIn('organizations');
export const invoices = builtIn('invoices');
export const holdingsMovements = builtIn('holdings_movements');
export const stockMovements = builtIn('stock_movements');
export const customerProfiles = builtIn('customer_profiles');
export const webEvents = builtIn('web_events');
export const accounts = builtIn('accounts');
