import type { DatasetContract } from '../src/contract/types';
import { snapshotDateColumn } from './invoices';

/**
 * Snapshots of the invoicing system's organizations (the customers being invoiced). Each delivery is
 * the full current state; its snapshot date comes from the delivery (see `snapshotDate`).
 */
export const organizations: DatasetContract = {
  name: 'organizations',
  description: 'Invoicing organizations: one row per organization per snapshot delivery.',
  primaryKey: ['organization_id', 'snapshot_date'],
  eventTime: 'snapshot_date',
  snapshotDate: { fromFileName: /\d{4}-\d{2}-\d{2}/, fromLandingTime: true },
  columns: [
    {
      name: 'organization_id',
      type: 'string',
      required: true,
      description: 'Organization id, as in invoices.organization_id.',
      aliases: ['org_id', 'Organization ID', 'organisation_id'],
    },
    {
      name: 'legal_entity_country_code',
      type: 'string',
      description: 'ISO 3166-1 alpha-2 country of the legal entity.',
      aliases: ['country_code', 'country'],
      case: 'upper',
      pattern: { regex: /^[A-Z]{2}$/, description: 'a two-letter ISO 3166 country code such as DE' },
    },
    {
      name: 'count_total_contracts_active',
      type: 'integer',
      description: 'Contracts active at the snapshot.',
      aliases: ['active_contracts', 'contracts_active'],
      range: { min: 0 },
    },
    {
      name: 'first_payment_date',
      type: 'date',
      description: 'Day of the first accepted payment, if any.',
      formats: ['iso', 'dd/mm/yyyy', 'yyyy/mm/dd'],
    },
    {
      name: 'last_payment_date',
      type: 'date',
      description: 'Day of the latest accepted payment, if any.',
      formats: ['iso', 'dd/mm/yyyy', 'yyyy/mm/dd'],
    },
    snapshotDateColumn,
  ],
};
