import type { DatasetContract } from '../src/contract/types';

/** Snapshots of the customer master; each delivery is the state of the customers it lists. */
export const customers: DatasetContract = {
  name: 'customers',
  description: 'Customer master snapshots, the source of the SCD2 customer dimension.',
  primaryKey: ['customer_id', 'updated_at'],
  eventTime: 'updated_at',
  columns: [
    {
      name: 'customer_id',
      type: 'string',
      required: true,
      description: 'Customer id.',
      aliases: ['cust_id', 'Customer ID', 'client_id'],
    },
    {
      name: 'name',
      type: 'string',
      required: true,
      description: 'Full name.',
      aliases: ['customer_name', 'full_name'],
    },
    {
      name: 'email',
      type: 'string',
      description: 'Email address, normalised to lower case.',
      aliases: ['email_address', 'e-mail'],
      case: 'lower',
      pattern: {
        regex: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
        description: 'an email address such as name@example.com',
      },
    },
    {
      name: 'segment',
      type: 'string',
      required: true,
      description: 'Customer segment.',
      aliases: ['customer_segment', 'tier'],
      case: 'lower',
      allowed: ['retail', 'premium', 'business'],
    },
    { name: 'city', type: 'string', description: 'City of residence.', aliases: ['location'] },
    {
      name: 'updated_at',
      type: 'timestamp',
      required: true,
      description: 'When this version of the customer was recorded (UTC).',
      aliases: ['last_updated', 'modified_at', 'snapshot_time'],
      formats: ['iso', 'epoch_millis'],
    },
  ],
};
