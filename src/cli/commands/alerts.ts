import type { Command } from 'commander';
import { alertDatesAfterRefresh, evaluateAlerts } from '../../alerts/evaluate';
import {
  CollectingPublisher,
  ConsolePublisher,
  FanOutPublisher,
  storeDeadLetter,
  WebhookPublisher,
} from '../../alerts/publishers';
import type { AlertPublisher } from '../../alerts/types';
import { buildCatalog } from '../../engine/catalog';
import { openDuckDb } from '../../engine/duckdb';
import { FsObjectStore } from '../../storage/fs-store';
import { lakeDir, lakeOption, parseIsoDateOption, parsePositiveIntOption, UsageError } from '../program';

export interface AlertsCommandOptions {
  readonly lake: string;
  readonly date?: string;
  readonly days?: string;
  readonly slackWebhook?: string;
  /** Print the run as one JSON object (the digests sent, with their moves) instead of text. */
  readonly json?: boolean;
  /** Folder of the SQL models. @default the repo's `sql/` */
  readonly sqlDir?: string;
}

/**
 * Runs the balance alerts on the local lake: builds the DuckDB catalog up to `balance_moves`,
 * evaluates the rules (reference/alert_rules.csv) for the date, prints each digest and, with a
 * webhook, posts the same Slack payload the AWS notifier posts. The ledger of sent alerts lives in
 * the lake (`alerts/sent/`), so a second run prints only what is new.
 */
export async function runAlertsCommand(
  options: AlertsCommandOptions,
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<void> {
  const date = options.date === undefined ? undefined : parseIsoDateOption(options.date, '--date');
  const days = options.days === undefined ? undefined : parsePositiveIntOption(options.days, '--days');
  if (date !== undefined && days !== undefined)
    throw new UsageError('give either --date or --days, not both');
  let webhook: string | undefined;
  if (options.slackWebhook !== undefined) {
    if (!/^https?:\/\/[^\s]+$/.test(options.slackWebhook)) {
      throw new UsageError(`--slack-webhook must be an http(s) URL, got '${options.slackWebhook}'`);
    }
    webhook = options.slackWebhook;
  }

  const dir = lakeDir(options);
  const lake = new FsObjectStore(dir);
  const collector = new CollectingPublisher();
  const publishers: AlertPublisher[] = [options.json ? collector : new ConsolePublisher(write)];
  if (webhook) publishers.push(new WebhookPublisher(webhook, { deadLetter: storeDeadLetter(lake) }));

  const engine = await openDuckDb({ source: dir });
  try {
    const catalog = await buildCatalog(engine, {
      lakeDir: dir,
      models: ['balance_moves'],
      ...(options.sqlDir === undefined ? {} : { sqlDir: options.sqlDir }),
    });
    // As on AWS: the days the refresh rewrote, unless the user names them.
    const after = alertDatesAfterRefresh(catalog.refresh);
    const result = await evaluateAlerts({
      engine,
      store: lake,
      publisher: publishers.length === 1 ? publishers[0]! : new FanOutPublisher(publishers),
      ...(date === undefined ? {} : { date }),
      ...(days === undefined ? {} : { lookbackDays: days }),
      ...(date === undefined && days === undefined ? after : { latestDate: after.latestDate }),
    });
    if (options.json) {
      const run = {
        dates: result.dates,
        breaches: result.breaches,
        already_sent: result.alreadySent,
        digests: collector.sent,
      };
      write(`${JSON.stringify(run, null, 2)}\n`);
      return;
    }
    if (result.dates.length === 0) {
      write(`no balances in ${dir} yet: ingest transactions or invoices first\n`);
      return;
    }
    const range = result.dates.length === 1 ? result.dates[0] : `${result.dates[0]}..${result.dates.at(-1)}`;
    const sentEarlier =
      result.alreadySent > 0
        ? `, ${result.alreadySent} already alerted earlier (alerts/sent/ in the lake)`
        : '';
    write(
      `${range}: ${result.breaches} balance move(s) breached a rule; ${result.delivered.length} digest(s) sent` +
        `${webhook ? ' to the console and Slack' : ''}${sentEarlier}\n`,
    );
  } finally {
    await engine.close();
  }
}

/** Adds `ledgerlake alerts [--date D] [--days N] [--lake DIR] [--slack-webhook URL]`. */
export function registerAlertsCommand(program: Command): void {
  program
    .command('alerts')
    .description(
      'Evaluate the balance-alert rules (reference/alert_rules.csv) on the local lake, print one digest per rule ' +
        'and day, and post them to Slack when a webhook is given. Each alert is sent once.',
    )
    .addOption(lakeOption())
    .option(
      '--date <YYYY-MM-DD>',
      'balance date to evaluate (default: the days the refresh rewrote, else the latest date in the lake)',
    )
    .option('--days <n>', 'evaluate the last n balance dates up to the latest (catch-up)')
    .option('--slack-webhook <url>', 'Slack incoming-webhook URL to post each digest to')
    .option('--json', 'print the run as JSON: the dates, the breaches and each digest sent with its moves')
    .action(async (options: AlertsCommandOptions) => runAlertsCommand(options));
}
