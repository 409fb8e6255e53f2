import type { DatasetContract } from '../src/contract/types';
import { customers } from './customers';
import { invoices } from './invoices';
import { organizations } from './organizations';
import { sales } from './sales';
import { transactions } from './transactions';

/** Every dataset ledgerlake knows, by name. A file under `landing/<name>/` is ingested with its contract. */
export const DATASETS: readonly DatasetContract[] = [transactions, customers, sales, organizations, invoices];

export { customers, invoices, organizations, sales, transactions };
