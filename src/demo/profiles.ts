/**
 * CRM exports of the customer profiles: a JSON array on the first and on the last day of the period
 * (`landing/customer_profiles/crm-export-YYYY-MM-DD.json`), each with every customer once, a nested
 * `contact` object and the faults the cleansing rules repair: padded and mixed-case emails, invalid and
 * over-long emails, ids doubled by the CRM's join bug (`C0082C0082`), join dates in several spellings
 * and negative loyalty points. The rows no rule can repair (no id, an unreadable join date) are planted
 * as dirty rows and must be quarantined.
 */
import { dayToIso } from '../ingest/lake-layout';
import { EMAIL_DOMAINS, UNPARSEABLE_DATES } from './catalog';
import { plantDirtyRows } from './dirty';
import { encodeFile } from './encoding';
import { Rng } from './random';
import { DAY_MS, type DemoFile, type DemoPlan, isoTimestamp } from './types';

/** Shares of the repairable faults, per record of an export. */
const DOUBLED_ID_SHARE = 0.04;
const PADDED_EMAIL_SHARE = 0.1;
const INVALID_EMAIL_SHARE = 0.03;
const LONG_EMAIL_SHARE = 0.01;
const NEGATIVE_POINTS_SHARE = 0.04;

type ProfileRecord = {
  id: string;
  full_name: string;
  contact: { email: string; city: string };
  joined: string | number;
  points: number;
  last_modified: string;
};

/** `yyyy-mm-dd` of a day number in one of the spellings the CRM has used. */
function spellJoinDate(rng: Rng, day: number): string | number {
  const [yyyy, mm, dd] = dayToIso(day).split('-');
  switch (rng.int(0, 4)) {
    case 0:
      return `${yyyy}-${mm}-${dd}`;
    case 1:
      return `${dd}/${mm}/${yyyy}`;
    case 2:
      return `${yyyy}/${mm}/${dd}`;
    case 3:
      return `${dd}.${mm}.${yyyy}`;
    default:
      return `${yyyy}${mm}${dd}`;
  }
}

/** Two CRM exports: the first and the last day of the period (one when the period is a single day). */
export function generateProfileFiles(plan: DemoPlan): DemoFile[] {
  const rng = new Rng(plan.seed, 'profiles');
  const joined = plan.customers.map(() => plan.firstDay - rng.int(30, 2000));
  const points = plan.customers.map(() => rng.int(0, 5000));
  const exportDays = [...new Set([plan.firstDay, plan.firstDay + plan.days - 1])];
  return exportDays.map((day) => {
    const clean = plan.customers.map((customer, i): ProfileRecord => {
      points[i] = Math.max(0, points[i]! + rng.int(-200, 400));
      const [first = '', last = ''] = customer.name.toLowerCase().split(' ');
      let email = `${first}.${last}@${rng.pick(EMAIL_DOMAINS)}`;
      const fault = rng.next();
      if (fault < INVALID_EMAIL_SHARE) email = email.replace('@', ' at ');
      else if (fault < INVALID_EMAIL_SHARE + LONG_EMAIL_SHARE) email = `${'x'.repeat(250)}.${email}`;
      else if (rng.chance(PADDED_EMAIL_SHARE)) email = `  ${email.toUpperCase()} `;
      return {
        id: rng.chance(DOUBLED_ID_SHARE) ? customer.id + customer.id : customer.id,
        full_name: customer.name,
        contact: { email, city: customer.homeCity },
        joined: spellJoinDate(rng, joined[i]!),
        points: rng.chance(NEGATIVE_POINTS_SHARE) ? -rng.int(1, 500) : points[i]!,
        last_modified: isoTimestamp(day * DAY_MS + rng.int(0, 86_399) * 1000),
      };
    });
    const { rows, expected, planted } = plantDirtyRows<ProfileRecord>(
      clean,
      {
        null_key: (record) => ({ ...record, id: '' }),
        bad_date: (record, r) => ({ ...record, joined: r.pick(UNPARSEABLE_DATES) }),
      },
      plan.dirtyShare,
      rng,
    );
    return {
      key: `landing/customer_profiles/crm-export-${dayToIso(day)}.json`,
      dataset: 'customer_profiles',
      body: encodeFile(JSON.stringify(rows, null, 1)),
      expected,
      planted,
      style: 'CRM export: JSON array, nested contact, faults to repair with warnings',
    };
  });
}
