/**
 * Web and app events of three hosts: one NDJSON file per week
 * (`landing/web_events/events-YYYY-MM-DD.ndjson.gz`, the week's first day). Visitors are the demo's
 * customers (signed in) or anonymous; devices and browsers come in the spellings user-agent parsers
 * give. Feeds fact_host_activity_daily and the monthly activity arrays.
 */
import { dayToIso } from '../ingest/lake-layout';
import { UNPARSEABLE_DATES } from './catalog';
import { plantDirtyRows } from './dirty';
import { encodeFile } from './encoding';
import { type Mix, Rng } from './random';
import { compactDate, DAY_MS, type DemoFile, type DemoPlan, isoTimestamp, weekday } from './types';

export const HOSTS = ['shop.example.com', 'app.example.com', 'blog.example.com'] as const;
/** Events a host serves on an average weekday. */
const EVENTS_PER_DAY: Readonly<Record<(typeof HOSTS)[number], number>> = {
  'shop.example.com': 120,
  'app.example.com': 80,
  'blog.example.com': 30,
};
const ANONYMOUS_SHARE = 0.25;
const DAYS_PER_FILE = 7;
const DEVICE_MIX: Mix<'desktop' | 'Mobile' | 'phone' | 'tablet'> = {
  desktop: 45,
  Mobile: 30,
  phone: 15,
  tablet: 10,
};
const BROWSER_MIX: Mix<'chrome' | 'safari' | 'firefox' | 'edge'> = {
  chrome: 55,
  safari: 25,
  firefox: 12,
  edge: 8,
};

type EventRecord = Record<string, string | null>;

/** One gzipped NDJSON file of web events per week of the period. */
export function generateWebEventFiles(plan: DemoPlan): DemoFile[] {
  const rng = new Rng(plan.seed, 'web-events');
  const fileCount = Math.ceil(plan.days / DAYS_PER_FILE);
  return Array.from({ length: fileCount }, (_, k) => {
    const first = plan.firstDay + k * DAYS_PER_FILE;
    const days = Array.from(
      { length: Math.min(DAYS_PER_FILE, plan.days - k * DAYS_PER_FILE) },
      (_, d) => first + d,
    );
    const clean = days.flatMap((day) =>
      HOSTS.flatMap((host) => {
        const weekend = weekday(day) === 0 || weekday(day) === 6;
        const count = Math.round(EVENTS_PER_DAY[host] * (weekend ? 0.6 : 1) * (0.8 + 0.4 * rng.next()));
        const times = Array.from({ length: count }, () => day * DAY_MS + rng.int(0, 86_399) * 1000).sort(
          (a, b) => a - b,
        );
        return times.map(
          (time, j): EventRecord => ({
            event_id: `W${compactDate(day)}-${host.split('.')[0]}-${String(j + 1).padStart(4, '0')}`,
            timestamp: isoTimestamp(time),
            host: rng.chance(0.1) ? host.toUpperCase() : host,
            visitor_id: rng.chance(ANONYMOUS_SHARE) ? null : rng.pick(plan.customers).id,
            device_type: rng.weighted(DEVICE_MIX),
            browser: rng.weighted(BROWSER_MIX),
          }),
        );
      }),
    );
    const { rows, expected, planted } = plantDirtyRows<EventRecord>(
      clean,
      {
        null_key: (record) => ({ ...record, event_id: null }),
        bad_date: (record, r) => ({ ...record, timestamp: r.pick(UNPARSEABLE_DATES) }),
      },
      plan.dirtyShare,
      rng,
    );
    return {
      key: `landing/web_events/events-${dayToIso(first)}.ndjson.gz`,
      dataset: 'web_events',
      body: encodeFile(`${rows.map((row) => JSON.stringify(row)).join('\n')}\n`, { gzip: true }),
      expected,
      planted,
      style: 'web events: weekly gzipped NDJSON, anonymous visitors, device spellings',
    };
  });
}
