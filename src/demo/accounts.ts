/**
 * The demo's account master: every account the transactions use (the main account, whose id is the
 * customer id, and the second wallet some customers have), listed in full on the first day, then every
 * two weeks the accounts that changed: a review freezes an account and later reopens it, an account
 * falls dormant or is closed, an overdraft is arranged or its limit moves. So `dim_account` (SCD2) has
 * history to show. CSV with the master system's own spellings (`Active`, `current`).
 */
import { accounts as accountsContract } from '../../datasets';
import { dayToIso } from '../ingest/lake-layout';
import { UNPARSEABLE_DATES } from './catalog';
import { plantDirtyRows } from './dirty';
import { encodeFile, formatCsv } from './encoding';
import { Rng } from './random';
import { DAY_MS, type DemoFile, type DemoPlan, isoTimestamp } from './types';

const CHANGES_EVERY_DAYS = 14;
/** Share of accounts that change between two deliveries. */
const CHANGE_SHARE = 0.06;
/** Account types no contract knows: quarantined, never guessed. */
const UNKNOWN_ACCOUNT_TYPES = ['mortgage', 'escrow'] as const;

const COLUMNS = [
  'account_id',
  'customer_id',
  'account_type',
  'status',
  'currency',
  'credit_limit',
  'overdraft_limit',
  'opened_on',
  'updated_at',
] as const;
type AccountRow = Record<(typeof COLUMNS)[number], string>;

interface AccountVersion {
  readonly id: string;
  readonly customerId: string;
  readonly type: 'checking' | 'wallet';
  readonly status: 'open' | 'frozen' | 'dormant' | 'closed';
  readonly overdraftLimit: number | undefined;
  readonly openedOn: number;
}

/** How the master system spells a status or type (the contract maps them back). */
const SPELLINGS: Readonly<Record<string, readonly string[]>> = {
  open: ['open', 'Active'],
  frozen: ['frozen', 'Blocked'],
  dormant: ['dormant', 'inactive'],
  closed: ['closed'],
  checking: ['checking', 'Current'],
  wallet: ['wallet', 'e-wallet'],
};

function change(rng: Rng, from: AccountVersion): AccountVersion {
  if (from.status === 'closed') return from;
  if (from.status === 'frozen') return { ...from, status: 'open' }; // the review is over
  const roll = rng.next();
  if (roll < 0.35) return { ...from, status: 'frozen' };
  if (roll < 0.5) return { ...from, status: from.status === 'dormant' ? 'open' : 'dormant' };
  if (roll < 0.6) return { ...from, status: 'closed' };
  const limits = [250, 500, 1000, 2000].filter((limit) => limit !== from.overdraftLimit);
  return { ...from, overdraftLimit: rng.pick(limits) };
}

/** The first delivery lists every account; each later one, the accounts that changed since. */
export function generateAccountFiles(plan: DemoPlan): DemoFile[] {
  const rng = new Rng(plan.seed, 'accounts');
  let current: AccountVersion[] = plan.customers.flatMap((customer) => {
    const openedOn = plan.firstDay - rng.int(30, 3_000);
    const main: AccountVersion = {
      id: customer.id,
      customerId: customer.id,
      type: 'checking',
      status: 'open',
      overdraftLimit: customer.overspender ? 500 : undefined,
      openedOn,
    };
    const wallet: AccountVersion[] = customer.wallet
      ? [{ ...main, id: customer.wallet, type: 'wallet', overdraftLimit: undefined, openedOn: openedOn + 1 }]
      : [];
    return [main, ...wallet];
  });
  const files: DemoFile[] = [];
  for (let offset = 0; offset < plan.days; offset += CHANGES_EVERY_DAYS) {
    const day = plan.firstDay + offset;
    let listed: AccountVersion[];
    if (offset === 0) listed = current;
    else {
      const next = current.map((account) => (rng.chance(CHANGE_SHARE) ? change(rng, account) : account));
      listed = next.filter((account, i) => account !== current[i]);
      current = next;
    }
    // One second apart from 05:00, so every (account_id, updated_at) is unique.
    const clean: AccountRow[] = listed.map((account, i) => ({
      account_id: account.id,
      customer_id: account.customerId,
      account_type: rng.pick(SPELLINGS[account.type]!),
      status: rng.pick(SPELLINGS[account.status]!),
      currency: 'USD',
      credit_limit: '',
      overdraft_limit: account.overdraftLimit === undefined ? '' : account.overdraftLimit.toFixed(2),
      opened_on: dayToIso(account.openedOn),
      updated_at: isoTimestamp(day * DAY_MS + 5 * 3_600_000 + i * 1000),
    }));
    const { rows, expected, planted } = plantDirtyRows<AccountRow>(
      clean,
      {
        null_key: (row) => ({ ...row, account_id: '' }),
        unknown_type: (row, r) => ({ ...row, account_type: r.pick(UNKNOWN_ACCOUNT_TYPES) }),
        bad_date: (row, r) => ({ ...row, updated_at: r.pick(UNPARSEABLE_DATES) }),
      },
      plan.dirtyShare,
      rng,
    );
    files.push({
      key: `landing/accounts/accounts-${dayToIso(day)}.csv`,
      dataset: accountsContract.name,
      body: encodeFile(
        formatCsv(
          [...COLUMNS],
          rows.map((row) => COLUMNS.map((column) => row[column])),
          { delimiter: ',', lineEnding: '\n' },
        ),
      ),
      expected,
      planted,
      style:
        offset === 0
          ? 'account master: the full list, statuses and types in the source system spellings'
          : 'account master: the accounts that changed (frozen, reopened, dormant, closed, overdraft limits)',
    });
  }
  return files;
}
