/**
 * Bridges for vi.mock until datasets/index.ts lists organizations and invoices and
 * datasets/reference.ts lists the alert reference tables: each adds what is missing and changes
 * nothing once the shared lists hold them. Kept free of imports of those two modules, so a mock
 * factory can load it without importing the module it is mocking.
 */
import { invoices } from '../../datasets/invoices';
import { organizations } from '../../datasets/organizations';
import type { ReferenceTable } from '../../datasets/reference';
import { ALERT_REFERENCE_TABLES } from '../../src/alerts/reference';
import type { DatasetContract } from '../../src/contract/types';

export function withAlertDatasets<T extends { DATASETS: readonly DatasetContract[] }>(actual: T): T {
  const missing = [organizations, invoices].filter(
    (d) => !actual.DATASETS.some((known) => known.name === d.name),
  );
  return { ...actual, DATASETS: [...actual.DATASETS, ...missing] };
}

export function withAlertReferenceTables<T extends { REFERENCE_TABLES: readonly ReferenceTable[] }>(
  actual: T,
): T {
  const missing = ALERT_REFERENCE_TABLES.filter(
    (t) => !actual.REFERENCE_TABLES.some((known) => known.name === t.name),
  );
  return { ...actual, REFERENCE_TABLES: [...actual.REFERENCE_TABLES, ...missing] };
}
